import { UserError } from '@drover/shared';
import type { Command } from '../command.js';

// Placeholder until its issue lands; replaced by the real command.
export const command: Command = {
  summary: '(not yet available)',
  async run() {
    throw new UserError('drover agents: not available in this build yet');
  },
};
