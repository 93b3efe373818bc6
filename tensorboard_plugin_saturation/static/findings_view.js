/**
 * The diagnosis of one run: verdict, then each finding's cause, layers, onset
 * step, evidence and remedy, with the remedy's code snippet and a copy button.
 */

import { h, replaceChildren } from './dom.js';
import { formatCount, formatList } from './format.js';
import { causeLabel } from './model.js';

/** How long the copy button says "Copied". */
const COPIED_FEEDBACK_MS = 1500;

async function copyText(text, pre) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Clipboard API refused (permissions, insecure context): copy the selected <pre>.
    const selection = window.getSelection();
    const range = document.createRange();
    range.selectNodeContents(pre);
    selection.removeAllRanges();
    selection.addRange(range);
    return document.execCommand('copy');
  }
}

function snippetBlock(snippet) {
  const pre = h('pre', {}, [h('code', { text: snippet })]);
  const button = h('button', { type: 'button', className: 'copy', text: 'Copy' });
  button.addEventListener('click', async () => {
    const copied = await copyText(snippet, pre);
    button.textContent = copied ? 'Copied' : 'Select and copy';
    setTimeout(() => {
      button.textContent = 'Copy';
    }, COPIED_FEEDBACK_MS);
  });
  return h('div', { className: 'snippet' }, [button, pre]);
}

function findingItem(finding, causeLabels) {
  const where = [];
  if (finding.layers && finding.layers.length) where.push(`${formatList(finding.layers, 4)}`);
  if (Number.isFinite(finding.step)) where.push(`from step ${finding.step}`);
  return h('li', { className: `finding cause-${String(finding.cause).replace(/[^a-z_]/g, '')}` }, [
    h('div', { className: 'finding-head' }, [
      h('span', { className: 'cause', text: causeLabel(finding.cause, causeLabels) }),
      where.length ? h('span', { className: 'finding-where', text: where.join(' · ') }) : null,
    ]),
    finding.evidence ? h('p', { className: 'evidence' }, [h('strong', { text: 'Evidence ' }), finding.evidence]) : null,
    finding.remedy ? h('p', { className: 'remedy' }, [h('strong', { text: 'Remedy ' }), finding.remedy]) : null,
    finding.snippet ? snippetBlock(finding.snippet) : null,
  ]);
}

/**
 * Fills `container` with a run's diagnosis. A run is healthy when it has no finding.
 * @param {HTMLElement} container
 * @param {{status: string, findings: Array<{cause: string, layers: string[], step: ?number,
 *     evidence: string, remedy: string, snippet: string}>}} diagnosis As GET diagnosis answers.
 * @param {Object<string, string>} causeLabels The server's label of each cause.
 */
export function renderFindings(container, diagnosis, causeLabels) {
  const findings = diagnosis.findings || [];
  const healthy = !findings.length;
  const verdictClass = healthy ? 'healthy' : 'saturated';
  const verdict = healthy
    ? 'Healthy: no layer is stuck in saturation.'
    : `Saturated: ${formatCount(findings.length, 'finding')}, most important first.`;
  replaceChildren(container, [
    h('h4', { className: 'findings-title' }, [
      'Diagnosis',
      h('span', { className: `status-badge ${verdictClass}`, text: diagnosis.status }),
    ]),
    h('p', { className: 'verdict', text: verdict }),
    findings.length ? h('ol', { className: 'finding-list' }, findings.map((finding) => findingItem(finding, causeLabels))) : null,
  ]);
}
