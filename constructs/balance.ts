import { HaproxyBalance } from '../lib/render/haproxy';

/** How a load balancer spreads requests over its backends. */
export class Balance {
  /** Each server in turn (the default). */
  public static roundRobin(): Balance {
    return new Balance('roundrobin');
  }

  /** The server with the fewest open connections: for requests of very different lengths. */
  public static leastConnections(): Balance {
    return new Balance('leastconn');
  }

  /**
   * The same client address always reaches the same server (seed 000's ip_hash): for stateful apps that
   * keep sessions in process memory. Consistent hashing, so losing a server moves only its clients.
   */
  public static source(): Balance {
    return new Balance('source');
  }

  private constructor(public readonly algorithm: HaproxyBalance) {}

  public toString(): string {
    return this.algorithm;
  }
}
