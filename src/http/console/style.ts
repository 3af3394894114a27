/**
 * The console's one stylesheet, served from /console/static/console.css. It lives in a TypeScript
 * string so `tsc` is the whole build: no asset step, nothing fetched at install or run time.
 * Colours meet WCAG AA contrast on their backgrounds; focus is always visible.
 */
export const CONSOLE_CSS = `
:root { --fg: #1b1f24; --muted: #4a5360; --bg: #ffffff; --panel: #f4f6f8; --line: #c9d1d9; --accent: #0a58ca; --bad: #a4161a; --warn: #7a4d00; --good: #1a6b2e; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible { outline: 3px solid #ffbf47; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--fg); color: #fff; padding: .5em 1em; }
.skip:focus { left: 0; }
header.top { display: flex; flex-wrap: wrap; gap: 1em; align-items: center; padding: .6em 1em; background: #14213d; color: #fff; }
header.top a { color: #fff; }
header.top .brand { font-weight: 700; margin-right: 1em; text-decoration: none; }
nav ul { display: flex; flex-wrap: wrap; gap: .2em 1em; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
.who { margin-left: auto; display: flex; gap: .6em; align-items: center; }
.who form { margin: 0; }
main { padding: 1em; max-width: 80em; }
h1 { font-size: 1.5em; margin: .2em 0 .6em; }
h2 { font-size: 1.15em; margin: 1.2em 0 .4em; }
table { border-collapse: collapse; width: 100%; margin: .4em 0 1em; }
th, td { text-align: left; padding: .35em .6em; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); }
td.mono, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; word-break: break-all; }
form.inline { display: inline-flex; gap: .4em; align-items: center; flex-wrap: wrap; margin: 0; }
form.stack { display: grid; gap: .6em; max-width: 28em; }
label { font-weight: 600; }
input, select, button { font: inherit; padding: .3em .5em; border: 1px solid var(--muted); border-radius: 4px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.danger { background: var(--bad); border-color: var(--bad); }
button.quiet { background: transparent; color: inherit; border-color: currentColor; }
.attention { list-style: none; padding: 0; display: grid; gap: .5em; }
.attention li { padding: .5em .8em; border-left: 5px solid var(--warn); background: var(--panel); }
.attention li.bad { border-left-color: var(--bad); }
.attention li.good { border-left-color: var(--good); }
.flash { padding: .6em .8em; border: 1px solid var(--line); background: var(--panel); margin-bottom: 1em; }
.flash.error { border-color: var(--bad); color: var(--bad); }
.muted { color: var(--muted); }
.state { font-weight: 600; }
.state.failed { color: var(--bad); }
.state.waiting { color: var(--warn); }
.state.deployed, .state.verified { color: var(--good); }
`;
