/** SSH from admin networks only: the rule every role construct applies from its `adminCidrs` prop. */
import { Annotations } from 'cdktf';
import { IConstruct } from 'constructs';
import { Connections, Peer } from '../constructs/connections';
import { Port } from '../constructs/port';
import { Messages, propError } from './errors';
import { checkCidr, checkReason, isAnywhere, isToken } from './validate';

export interface AdminAccessProps {
  /**
   * Networks allowed to SSH into the droplets (CIDR), e.g. your office's /32, or a token list (a Terraform
   * variable). '0.0.0.0/0' and '::/0' are refused unless `allowSshFromAnywhere` gives a reason.
   * @default - no SSH at all (use the DigitalOcean console)
   */
  readonly adminCidrs?: string[];
  /** Accept SSH from anywhere, with the reason written down. @default - refused */
  readonly allowSshFromAnywhere?: { readonly reason: string };
}

export function applyAdminAccess(scope: IConstruct, connections: Connections, props: AdminAccessProps): void {
  const cidrs = props.adminCidrs ?? [];
  checkReason(scope, 'allowSshFromAnywhere', props.allowSshFromAnywhere);
  if (!isToken(cidrs)) {
    for (const cidr of cidrs) {
      checkCidr(scope, 'adminCidrs', cidr);
      if (!isToken(cidr) && isAnywhere(cidr) && !props.allowSshFromAnywhere) {
        throw propError(scope, 'adminCidrs', 'opens SSH to the whole internet', cidr, Messages.sshFromAnywhere);
      }
    }
    if (props.allowSshFromAnywhere && !cidrs.some((c) => !isToken(c) && isAnywhere(c))) {
      Annotations.of(scope).addWarning(`'allowSshFromAnywhere' is ignored: no entry of 'adminCidrs' is 0.0.0.0/0 or ::/0.`);
    }
    if (cidrs.length === 0) {
      return;
    }
  }
  connections.allowFrom(Peer.cidrs(cidrs), Port.tcp(22), 'SSH from admin networks');
}
