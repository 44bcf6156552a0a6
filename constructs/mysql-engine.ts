import { MysqlFlavor, flavorFacts } from '../lib/render/mysql';

/** Which server the database droplets run, both from Ubuntu 24.04's archive. */
export class MysqlEngine {
  /** MySQL 8.0 (`mysql-server`): GTID replication with caching_sha2_password accounts. */
  public static mysql8_0(): MysqlEngine {
    return new MysqlEngine('mysql-8.0');
  }

  /** MariaDB 10.11 LTS (`mariadb-server`): MariaDB GTIDs (`MASTER_USE_GTID=slave_pos`). */
  public static mariadb10_11(): MysqlEngine {
    return new MysqlEngine('mariadb-10.11');
  }

  private constructor(public readonly flavor: MysqlFlavor) {}

  public get debPackage(): string {
    return flavorFacts(this.flavor).debPackage;
  }

  public toString(): string {
    return this.flavor;
  }
}
