/**
 * ForceNew attributes of the kreuzwerker/docker provider's resources tierform emits (3.6.2, the version the prebuilt
 * bindings target), read from the provider's public schema (`internal/provider/resource_docker_*.go`,
 * `ForceNew: true`). Attributes not listed change in place: for docker_container, `restart`, `max_retry_count`,
 * `memory`, `memory_swap`, `cpu_shares`, `cpu_set` (a `docker update`), and the provider's own behaviour settings
 * (`must_run`, `attach`, `wait`, `wait_timeout`, `destroy_grace_seconds`, ...). `healthcheck` is neither ForceNew nor
 * updated by the provider (tierform mirrors it in a label, which is ForceNew). For `lib/plan/impact.ts`:
 * `compareStacks(old, new, { replacing: { ...DIGITALOCEAN_REPLACING_ATTRIBUTES, ...DOCKER_REPLACING_ATTRIBUTES } })`.
 */
import type { ReplacingAttributes } from './impact';

export const DOCKER_REPLACING_ATTRIBUTES: ReplacingAttributes = {
  docker_container: [
    'name', 'image', 'read_only', 'hostname', 'domainname', 'command', 'entrypoint', 'user', 'dns', 'dns_opts', 'dns_search',
    'publish_all_ports', 'working_dir', 'capabilities', 'security_opts', 'runtime', 'stop_signal', 'stop_timeout', 'mounts',
    'volumes', 'ports', 'host', 'ulimit', 'env', 'privileged', 'devices', 'labels', 'shm_size', 'log_driver', 'log_opts',
    'network_mode', 'networks_advanced', 'pid_mode', 'userns_mode', 'upload', 'sysctls', 'ipc_mode', 'group_add', 'tty',
    'stdin_open', 'storage_opts', 'gpus', 'cpus', 'cgroupns_mode',
  ],
  docker_image: ['name', 'build', 'triggers', 'pull_triggers', 'platform'],
  docker_network: ['name', 'driver', 'internal', 'ipam_config', 'ipam_driver', 'ipam_options', 'options', 'attachable', 'ingress', 'ipv6', 'check_duplicate', 'labels'],
  docker_volume: ['name', 'driver', 'driver_opts', 'labels'],
};
