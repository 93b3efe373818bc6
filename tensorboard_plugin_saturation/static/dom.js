/**
 * Building DOM with text only. Run and tag names are user data: they enter
 * the page as text nodes, textContent or attribute values, never as HTML.
 */

/**
 * Creates an element.
 * @param {string} tag
 * @param {Object} [props] className, text (textContent), style (object),
 *     onX (an event listener for "x"), anything else an attribute
 *     (true = present, false/null/undefined = absent).
 * @param {Array<Node|string|null>|Node|string} [children] Strings become text nodes.
 * @returns {HTMLElement}
 */
export function h(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'className') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'style') Object.assign(node.style, value);
    else if (/^on[A-Z]/.test(key)) node.addEventListener(key.slice(2).toLowerCase(), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of [].concat(children)) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

/**
 * Replaces the children of `node`.
 * @param {Element} node
 * @param {Array<Node|string|null>} children
 */
export function replaceChildren(node, children = []) {
  node.replaceChildren(...children.filter((child) => child !== null && child !== undefined));
}

/**
 * The tooltip shared by every plot: a few lines of text next to the pointer.
 * @param {HTMLElement} parent
 * @returns {{show: function(string[], number, number): void, hide: function(): void, element: HTMLElement}}
 */
export function createTooltip(parent) {
  const element = h('div', { className: 'sat-tooltip', role: 'tooltip', hidden: true });
  parent.append(element);
  const OFFSET_CSS = 14; // from the pointer
  const EDGE_CSS = 4; // kept free at the window's edges
  return {
    element,
    show(lines, clientX, clientY) {
      replaceChildren(element, lines.map((line, i) => h('div', { className: i ? 'line' : 'line first', text: line })));
      element.hidden = false;
      const widthCss = element.offsetWidth;
      const heightCss = element.offsetHeight;
      const viewWidthCss = document.documentElement.clientWidth;
      const viewHeightCss = document.documentElement.clientHeight;
      let leftCss = clientX + OFFSET_CSS;
      let topCss = clientY + OFFSET_CSS;
      if (leftCss + widthCss > viewWidthCss - EDGE_CSS) leftCss = Math.max(EDGE_CSS, clientX - OFFSET_CSS - widthCss);
      if (topCss + heightCss > viewHeightCss - EDGE_CSS) topCss = Math.max(EDGE_CSS, clientY - OFFSET_CSS - heightCss);
      element.style.left = `${leftCss}px`;
      element.style.top = `${topCss}px`;
    },
    hide() {
      element.hidden = true;
    },
  };
}
