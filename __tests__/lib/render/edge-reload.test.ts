import { EDGE_CONTAINER_NAME, EDGE_RELOAD_UNIT, renderEdgeReloadUnit } from '../../../lib/render/edge-reload';
import { checkFiles } from '../../helpers/check-files';

describe('renderEdgeReloadUnit', () => {
  test('reload signals the edge container, and a missing container is no failure', () => {
    expect(renderEdgeReloadUnit()).toContain(`\nExecReload=-/usr/bin/docker kill --signal HUP ${EDGE_CONTAINER_NAME}\n`);
  });

  test('passes systemd-analyze verify', () => {
    // GIVEN / WHEN
    const ran = checkFiles([{ path: `/etc/systemd/system/${EDGE_RELOAD_UNIT}`, content: renderEdgeReloadUnit(), permissions: '0644' }]);
    // THEN
    expect(ran).toEqual([`/etc/systemd/system/${EDGE_RELOAD_UNIT}: systemd-analyze verify`]);
  });
});
