import { TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { Dns } from '../../constructs/dns';
import { SingleServer } from '../../constructs/single-server';
import { passwordSecret } from '../secrets';
import { StageProps, checkStageProps, stageFoundation } from './common';

/**
 * Stage 0 — one server (seed 002 `0-simple_web_stack`, seed 004 phase 1): a droplet running nginx, gunicorn
 * and MySQL, `@` and `www` A records pointing at it.
 * Weaknesses kept on purpose: everything is a single point of failure; deploys restart the only server.
 */
export class Stage0SingleServer extends TerraformStack {
  public readonly server: SingleServer;
  public readonly dns: Dns;

  constructor(scope: Construct, id: string, props: StageProps) {
    super(scope, id);
    props = checkStageProps(this, props);
    const { inputs, vpc, dns } = stageFoundation(this, props, 's0', { ipRange: '10.20.0.0/20', dnsTtlSeconds: 300 });
    this.dns = dns;
    this.server = new SingleServer(this, 'Server', {
      vpc,
      name: `${inputs.namePrefix}-www`,
      size: props.webSize,
      engine: props.engine,
      serverNames: [props.domain, `www.${props.domain}`],
      appPassword: passwordSecret(this, 'mysql_app_password', 'Password of the MySQL app account'),
    });
    this.dns.pointTo(this.server);
    new TerraformOutput(this, 'url', { value: `http://www.${props.domain}/`, description: 'The site' });
  }
}
