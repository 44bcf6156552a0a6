/**
 * Base images and runtimes are still supported (seed 003 #11): a droplet image (`ubuntu-18-04-x64`) or a container
 * image (`nginx:1.13-alpine`, `mariadb:10-focal`, `python:3.8`) past its end of life gets no security fixes.
 * Dates in rules/_eol.ts; unknown images and versions are not judged. "Today" is the pack's `now` (default: the
 * clock at synth).
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { eolDate } from './_eol';
import { parseImage } from './_workloads';

function dropletImageEol(slug: string): { what: string; date: string } | undefined {
  const m = /^(ubuntu|debian|centos)-(\d+)(?:-(\d+))?-x64$/.exec(slug);
  if (!m) return undefined;
  const version = m[1] === 'ubuntu' ? `${m[2]}.${m[3]}` : m[2];
  const date = eolDate(m[1], version);
  return date ? { what: `${m[1]} ${version}`, date } : undefined;
}

function containerImageEol(image: string): { what: string; date: string }[] {
  const { repository, tag } = parseImage(image);
  if (!tag) return [];
  const out: { what: string; date: string }[] = [];
  const own = eolDate(repository, tag);
  if (own) out.push({ what: `${repository} ${tag.split('-')[0]}`, date: own });
  for (const part of tag.split('-').slice(repository === 'ubuntu' || repository === 'debian' ? 0 : 1)) {
    for (const os of ['ubuntu', 'debian']) {
      const d = /^[a-z]+$/.test(part) ? eolDate(os, part) : undefined;
      if (d) out.push({ what: `${os} ${part}`, date: d });
    }
  }
  return out;
}

export default namedRule('CurrentBaseImages', (element, stack): RuleResult => {
  const today = stack.now.toISOString().slice(0, 10);
  let found: { what: string; date: string }[];
  if (element.type === 'digitalocean_droplet') {
    const image = element.attributes.image;
    if (typeof image !== 'string' || /\$\{/.test(image)) return Compliance.NOT_APPLICABLE;
    const eol = dropletImageEol(image);
    if (!eol) return /^(ubuntu|debian|centos)-/.test(image) ? Compliance.COMPLIANT : Compliance.NOT_APPLICABLE;
    found = [eol];
  } else if (element.type === 'docker_image' || element.type === 'docker_registry_image') {
    const name = stack.imageName(element.attributes.name);
    if (!name) return Compliance.NOT_APPLICABLE;
    found = containerImageEol(name);
  } else if (element.type === 'docker_container' && typeof element.attributes.image === 'string' && !/\$\{/.test(element.attributes.image)) {
    found = containerImageEol(element.attributes.image);
  } else {
    return Compliance.NOT_APPLICABLE;
  }
  return found.filter((f) => f.date <= today).map((f) => `${f.what} reached end of life on ${f.date}`);
});
