// Kamal's hidden subcommands are single steps of its public commands (`app remove` is stop, then
// remove_containers, remove_images, remove_app_directories). Drover's agents run each public command
// as one operation, so these are accepted, hidden from help, and say which command does the work.
import { UserError } from '@drover/shared';
import type { CommandSpec } from '../framework/spec.js';

function step(name: string, instead: string, usage?: string): CommandSpec {
  return {
    name,
    summary: `Kamal's internal step; Drover runs it as part of \`drover ${instead}\``,
    hidden: true,
    ...(usage ? { usage, args: { min: 0, max: 1 } } : {}),
    async run() {
      throw new UserError(`\`${name}\` is one step of Kamal's \`${instead}\`; Drover's agent runs \`${instead}\` as one operation, so the step alone is not offered. Run \`drover ${instead}\`.`);
    },
  };
}

export const APP_STEPS = [
  step('remove_container', 'app remove', 'VERSION'), step('remove_containers', 'app remove'),
  step('remove_images', 'app remove'), step('remove_app_directories', 'app remove'),
];

export const PROXY_STEPS = [
  step('upgrade', 'proxy reboot'), step('remove_container', 'proxy remove'), step('remove_image', 'proxy remove'), step('remove_proxy_directory', 'proxy remove'),
];

export const ACCESSORY_STEPS = [
  step('upload', 'accessory boot', 'NAME'), step('directories', 'accessory boot', 'NAME'), step('pull_image', 'accessory reboot', 'NAME'),
  step('remove_container', 'accessory remove', 'NAME'), step('remove_image', 'accessory remove', 'NAME'), step('remove_service_directory', 'accessory remove', 'NAME'),
];
