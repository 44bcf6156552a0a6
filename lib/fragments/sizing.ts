/** Size facts computed at every boot (lib/render/sizing.ts): one sizing service per droplet. Pure. */
import { CloudConfigFragment } from '../render/cloud-config';
import { SIZING_SCRIPT, SIZING_UNIT_NAME, SIZING_UNIT_PATH, SizingOptions, renderSizingScript, renderSizingUnit } from '../render/sizing';

/**
 * The sizing script and its unit, started at once (before any later role installs or starts the services that read
 * its results) and at every boot. Add it before the roles that use it; one per droplet.
 */
export function sizingFragment(options: SizingOptions): CloudConfigFragment {
  return {
    files: [
      { path: SIZING_SCRIPT, content: renderSizingScript(), permissions: '0755' },
      { path: SIZING_UNIT_PATH, content: renderSizingUnit(options), permissions: '0644' },
    ],
    commands: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', SIZING_UNIT_NAME],
    ],
  };
}
