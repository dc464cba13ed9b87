import type { FastifyBaseLogger } from 'fastify';

/**
 * The controller's last resort for an error nothing caught (a throw in some event handler, a
 * promise nobody awaited): log it and keep serving. That is safe here because such an error
 * unwinds only the handler that threw — durable state changes in SQLite transactions, which
 * roll back on a throw — while exiting would drop every agent and, as they all reconnect into
 * the same fault, turn one bad row or frame into a crash loop. Returns a function that removes it.
 */
export function installLastResort(log: FastifyBaseLogger): () => void {
  const onException = (err: Error, origin: string): void => {
    log.error({ err, origin }, 'uncaught error; the controller keeps serving (this is a bug: please report it)');
  };
  const onRejection = (reason: unknown): void => {
    log.error({ err: reason }, 'unhandled promise rejection; the controller keeps serving (this is a bug: please report it)');
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}
