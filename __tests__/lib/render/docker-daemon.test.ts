import { DOCKER_DAEMON_JSON_PATH, renderDockerDaemonJson } from '../../../lib/render/docker-daemon';
import { RenderError } from '../../../lib/render/guards';
import { checkFiles } from '../../helpers/check-files';

describe('renderDockerDaemonJson', () => {
  test.each<[string, number, number, string]>([
    ['a zero log size', 0, 3, "'logMaxSizeMb' must be an integer of at least 1, got 0"],
    ['a fractional file count', 10, 2.5, "'logMaxFiles' must be an integer of at least 1, got 2.5"],
  ])('throws a RenderError on %s', (_name, logMaxSizeMb, logMaxFiles, message) => {
    expect(() => renderDockerDaemonJson({ logMaxSizeMb, logMaxFiles })).toThrow(RenderError);
    expect(() => renderDockerDaemonJson({ logMaxSizeMb, logMaxFiles })).toThrow(message);
  });

  test('renders what dockerd accepts', () => {
    const ran = checkFiles([
      { path: DOCKER_DAEMON_JSON_PATH, content: renderDockerDaemonJson({ logMaxSizeMb: 10, logMaxFiles: 3 }), permissions: '0644' },
    ]);
    expect(ran).toEqual([`${DOCKER_DAEMON_JSON_PATH}: dockerd --config-file (configuration loaded, then stopped before its data root)`]);
  });
});
