/**
 * What a droplet will run, read from its `user_data` as the plan holds it: a `#cloud-config` document (tierform's
 * droplets, and many hand-written ones) or a shell script (most hand-written ones). Pure text analysis, no cdktf.
 *
 * Terraform interpolations are not evaluated: a reference stays visible as `${reference}` text (and a boot-time
 * shell variable as `$${VAR}`), so a rule can tell a value that comes from a variable from a literal. Files come from `write_files` and from heredocs
 * (`cat > /path <<EOF`) in scripts and boot commands; packages from `packages` and `apt-get install` lines.
 */
import { CloudConfigError, parseCloudConfig } from '../plan/cloud-config';

export interface HostFile {
  readonly path: string;
  readonly content: string;
}

export interface HostConfig {
  /** How user_data was read. `unparsed`: cloud-config that did not parse (rules then only search `text`). */
  readonly format: 'cloud-config' | 'script' | 'none' | 'unparsed';
  /** Packages installed at boot (cloud-config `packages` and apt/yum/dnf install commands). */
  readonly packages: readonly string[];
  /** Files written at boot: write_files, then heredocs found in scripts. */
  readonly files: readonly HostFile[];
  /** Boot commands and script lines, as shell text. */
  readonly commands: readonly string[];
  /** Everything above as one text, for rules that look for a directive or command anywhere. */
  readonly text: string;
}

/**
 * The text rules read: the template exactly as the plan holds it, so a real interpolation (`${var.x}`,
 * `${base64encode(var.x)}`) stays distinguishable from literal text, and Terraform's escapes (`$${HOME}`, a
 * shell variable expanded at boot) stay escaped. Nothing is evaluated.
 */
export function literalText(template: string): string {
  return template;
}

const HEREDOC =
  /(?:cat|tee)\s+(?:-a\s+)?(?:>{1,2}\s*)?(['"]?)(\/[^\s'"<>;|&]+)\1?\s*<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\3[^\n]*\n([\s\S]*?)\n\s*\4\s*(?:\n|$)/g;
const HEREDOC_TAG_FIRST = /cat\s+<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1\s*>{1,2}\s*(['"]?)(\/[^\s'"<>;|&]+)\3[^\n]*\n([\s\S]*?)\n\s*\2\s*(?:\n|$)/g;
const INSTALL = /\b(?:apt-get|apt|yum|dnf)\s+(?:-\S+\s+)*install\s+([^;&|\n]+)/g;

/** Files written by heredocs in a shell text. */
export function heredocFiles(script: string): HostFile[] {
  const out: HostFile[] = [];
  for (const m of script.matchAll(HEREDOC)) out.push({ path: m[2], content: m[5] });
  for (const m of script.matchAll(HEREDOC_TAG_FIRST)) out.push({ path: m[4], content: m[5] });
  return out;
}

/** Package names of `apt-get install ...` (and apt/yum/dnf) commands in a shell text. */
export function installedPackages(script: string): string[] {
  const out: string[] = [];
  for (const m of script.matchAll(INSTALL)) {
    for (const word of m[1].split(/\s+/)) {
      const name = word.replace(/["']/g, '').replace(/[=:].*$/, '');
      if (name && !name.startsWith('-') && /^[a-z0-9][a-z0-9.+_-]*$/i.test(name)) out.push(name);
    }
  }
  return out;
}

/** Reads a droplet's user_data (as it stands in the plan); undefined → a droplet that runs nothing of its own. */
export function readHostConfig(userData: string | undefined): HostConfig {
  if (userData === undefined || userData.trim() === '') {
    return { format: 'none', packages: [], files: [], commands: [], text: '' };
  }
  const text = literalText(userData);
  if (text.startsWith('#cloud-config')) {
    try {
      const doc = parseCloudConfig(text);
      const commands = doc.runcmd.map((argv) => (argv[0] === 'sh' && argv[1] === '-c' ? argv[2] : argv.join(' ')));
      const bootcmd = Array.isArray(doc.raw.bootcmd) ? doc.raw.bootcmd.map((c) => (Array.isArray(c) ? c.join(' ') : String(c))) : [];
      const allCommands = [...bootcmd, ...commands];
      const scripts = [...allCommands, ...doc.writeFiles.filter((f) => f.content.startsWith('#!')).map((f) => f.content)];
      const files: HostFile[] = [...doc.writeFiles.map((f) => ({ path: f.path, content: f.content })), ...scripts.flatMap(heredocFiles)];
      const packages = [...doc.packages, ...scripts.flatMap(installedPackages)];
      return { format: 'cloud-config', packages, files, commands: allCommands, text: joinText(files, allCommands, packages) };
    } catch (e) {
      if (!(e instanceof CloudConfigError)) throw e;
      return { format: 'unparsed', packages: installedPackages(text), files: heredocFiles(text), commands: [], text };
    }
  }
  const files = heredocFiles(text);
  const commands = text.split('\n');
  return { format: 'script', packages: installedPackages(text), files, commands, text };
}

function joinText(files: readonly HostFile[], commands: readonly string[], packages: readonly string[]): string {
  return [...files.map((f) => `# file ${f.path}\n${f.content}`), ...commands, `# packages: ${packages.join(' ')}`].join('\n');
}
