/**
 * The s3rver process of the local stack (`startS3Local`): receives its options once over IPC,
 * answers with the port it listens on, and ends on SIGTERM or when its parent goes away.
 */
import { runS3rver, type S3LocalReply, type S3LocalRequest } from './s3-local';

const reply = (message: S3LocalReply): void => void process.send?.(message);

// s3rver reports a port in use as an 'error' event, not as a rejection of run().
process.once('uncaughtException', (error) => {
  reply({ error: error.message });
  process.exit(1);
});

process.once('message', (message) => {
  runS3rver(message as S3LocalRequest).then(
    (server) => {
      const stop = () => void server.close().finally(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      // The parent died or closed the channel: nothing can use this S3 any more.
      process.once('disconnect', stop);
      reply({ port: server.port });
    },
    (error: unknown) => {
      reply({ error: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    },
  );
});
