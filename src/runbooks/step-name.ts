import type { StepDefinition } from '../config/index.js';

/** A step's name as plans, progress and audit rows show it: its own, else "kind #n". */
export function stepName(s: StepDefinition, i: number): string {
  return s.name ?? `${s.kind} #${i + 1}`;
}
