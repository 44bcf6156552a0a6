import { TerraformStack, Testing } from 'cdktf';
import { Port } from '../../constructs/port';

const scope = (): TerraformStack => new TerraformStack(Testing.app(), 'test');

describe('Port', () => {
  test('renders DigitalOcean port ranges', () => {
    expect(Port.tcp(443).portRange).toBe('443');
    expect(Port.tcpRange(8000, 8010).portRange).toBe('8000-8010');
    expect(Port.allUdp().portRange).toBe('1-65535');
    expect(Port.icmp().portRange).toBeUndefined();
  });

  test('describes itself', () => {
    expect(`${Port.tcp(3306)}`).toBe('tcp/3306');
    expect(`${Port.icmp()}`).toBe('icmp');
  });

  test('knows which ports it covers', () => {
    expect(Port.tcpRange(8000, 8010).covers('tcp', 8005)).toBe(true);
    expect(Port.tcp(80).covers('udp', 80)).toBe(false);
  });

  test('throws if a port is out of range', () => {
    expect(() => Port.tcp(70000).validate(scope(), 'port')).toThrow(
      "test: 'port' has tcp port out of range, got 70000. Ports are integers from 1 to 65535.",
    );
  });

  test('throws if a port is not an integer', () => {
    expect(() => Port.udp(53.5).validate(scope(), 'port')).toThrow(/'port' has udp port out of range, got 53.5/);
  });

  test('throws if a range ends before it starts', () => {
    expect(() => Port.tcpRange(9000, 8000).validate(scope(), 'port')).toThrow(
      "test: 'port' has a port range that ends before it starts, got '9000-8000'. Pass the lower port first.",
    );
  });
});
