import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { html } from './html.ts';

test('console templates escape every interpolated value unless it is markup built by the template', () => {
  const name = '<script>alert("x")</script>&\'';
  const inner = html`<b>${name}</b>`;
  assert.equal(inner.markup, '<b>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</b>');
  assert.equal(html`<p>${inner}${[1, html`<i>2</i>`]}${null}${undefined}${false}</p>`.markup, `<p>${inner.markup}1<i>2</i></p>`);
  assert.equal(html`<a title="${'" onmouseover="x'}">`.markup, '<a title="&quot; onmouseover=&quot;x">');
});
