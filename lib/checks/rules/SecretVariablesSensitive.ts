/**
 * Terraform variables that carry secrets are `sensitive` (seed 003 #3): Terraform then keeps their values out of
 * plan output and logs. A variable is a secret when its name says so (password, token, secret, key) or when
 * the stack assigns it to a secret-named setting (e.g. `DB_PASSWORD=${var.db}`).
 */
import { Compliance, RuleResult, namedRule } from '../rule';
import { StackView, variablesIn } from '../stack-view';
import { SECRET_NAME, containerView } from './_workloads';

const used = new WeakMap<StackView, Set<string>>();

/** Variables the stack assigns to secret-named settings. */
function secretUses(stack: StackView): Set<string> {
  let set = used.get(stack);
  if (!set) {
    set = new Set();
    for (const d of stack.droplets()) {
      for (const line of d.config.text.split('\n')) {
        const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*(.*)$/.exec(line);
        if (m && SECRET_NAME.test(m[1])) for (const v of variablesIn(m[2])) set.add(v);
      }
    }
    for (const c of stack.resources('docker_container').map((e) => containerView(e, stack))) {
      for (const [k, v] of c.env) if (SECRET_NAME.test(k)) for (const name of variablesIn(v)) set.add(name);
    }
    used.set(stack, set);
  }
  return set;
}

export default namedRule('SecretVariablesSensitive', (element, stack): RuleResult => {
  if (element.type !== 'variable') return Compliance.NOT_APPLICABLE;
  const name = element.logicalId;
  const secret = SECRET_NAME.test(name) || secretUses(stack).has(name);
  if (!secret) return Compliance.NOT_APPLICABLE;
  return element.attributes.sensitive === true ? Compliance.COMPLIANT : [`variable ${name} holds a secret but is not sensitive = true`];
});
