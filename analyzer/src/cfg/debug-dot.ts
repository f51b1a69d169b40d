/**
 * @fileoverview Text views of a ControlFlowGraph: the edge list the CFG fixtures compare
 * against, and a Graphviz DOT dump for `RCUKIT_DEBUG=cfg`. Debug output lives here, apart from
 * the builder; the engine itself never prints (see dumpIfRequested).
 */

import { ts } from 'ts-morph';
import type { Edge } from './basic-block.js';
import type { ControlFlowGraph } from './control-flow-graph.js';

function edgeLabel(e: Edge): string {
  return e.kind === 'normal' ? '' : ` [${e.kind}]`;
}

/**
 * One line per edge, `f1_b0 -> f1_b3 [true]`, in block creation order, then one line per
 * unreachable block that holds elements, `f1_b7 (unreachable)`. Edges out of unreachable
 * blocks are listed too: unreachable code is flagged, not dropped.
 */
export function edgeList(cfg: ControlFlowGraph): string[] {
  const lines: string[] = [];
  for (const b of cfg.blocks) for (const e of b.succs) lines.push(`${b.id} -> ${e.to.id}${edgeLabel(e)}`);
  for (const b of cfg.blocks) if (!b.reachable && b.elements.length > 0) lines.push(`${b.id} (unreachable)`);
  return lines;
}

function describe(node: ts.Node): string {
  const text = node.getText().replace(/\s+/g, ' ');
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Graphviz DOT for one graph: blocks list their elements; unreachable blocks are dashed. */
export function toDot(cfg: ControlFlowGraph): string {
  const out = [`digraph "${cfg.id} ${cfg.name}" {`, '  node [shape=box fontname="monospace"];'];
  for (const b of cfg.blocks) {
    const lines = [b.role !== undefined ? `${b.id} (${b.role})` : b.id];
    for (const el of b.elements)
      lines.push(
        el.kind === 'dispose'
          ? `dispose ${describe(el.node.name)}`
          : `${ts.SyntaxKind[el.node.kind]}: ${describe(el.node)}`,
      );
    const label = lines.join('\\l').replace(/"/g, '\\"') + '\\l';
    out.push(`  ${b.id} [label="${label}"${b.reachable ? '' : ' style=dashed'}];`);
    for (const e of b.succs) out.push(`  ${b.id} -> ${e.to.id}${e.kind === 'normal' ? '' : ` [label="${e.kind}"]`};`);
  }
  out.push('}');
  return out.join('\n');
}

/**
 * With RCUKIT_DEBUG containing `cfg`, write the DOT of each graph to stderr. This is the one
 * place the engine writes anything, and only on a developer's explicit request.
 */
export function dumpIfRequested(cfg: ControlFlowGraph): void {
  const flags = process.env['RCUKIT_DEBUG'];
  if (flags === undefined || !flags.split(',').includes('cfg')) return;
  process.stderr.write(`${toDot(cfg)}\n`);
}
