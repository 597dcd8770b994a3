"""The report's style sheet, inlined in the HTML (no external resources).

Screen: a readable single column; tables scroll sideways inside their section when wide.
Print: black on white, the contents list dropped, tables and figures kept whole on a page,
wide tables in a smaller font. The mode banner is boxed in both media.
"""

from __future__ import annotations

CSS = """\
:root { color-scheme: light; }
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 14px;
  line-height: 1.45; color: #111; background: #fff; margin: 0 auto; max-width: 1100px;
  padding: 1em 1.5em; }
h1 { font-size: 1.6em; margin: 0.4em 0; }
h2 { font-size: 1.3em; border-bottom: 1px solid #999; margin-top: 2em; }
h3 { font-size: 1.1em; margin-top: 1.5em; }
.banner { border: 3px solid #111; padding: 0.5em 0.8em; font-size: 1.1em; }
.banner.blinded { background: #fff3c4; }
.banner.unblinded { background: #e8f1fb; }
.blinded-note { border-left: 4px solid #b58900; padding-left: 0.6em; }
dl.facts { display: grid; grid-template-columns: max-content auto; gap: 0.2em 1em; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
dl.methods dt { font-weight: bold; margin-top: 0.5em; }
dl.methods dd { margin-left: 1.5em; }
nav ul.toc { columns: 2; list-style: none; padding-left: 0; }
table { border-collapse: collapse; margin: 1em 0 0.3em; font-size: 0.9em;
  display: block; overflow-x: auto; max-width: 100%; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: 0.3em 0; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: right;
  vertical-align: top; }
th[scope="row"], th[scope="colgroup"] { text-align: left; }
td { white-space: nowrap; }
table.text td, table.text th { text-align: left; white-space: normal; }
thead th { background: #f0f0f0; }
p.method { font-size: 0.85em; color: #333; margin: 0 0 1em; max-width: 60em; }
p.method span { font-weight: bold; }
figure { margin: 1.2em 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.9em; color: #333; }
ul.notes { font-size: 0.85em; color: #333; }
@page { margin: 14mm; }
@media print {
  body { font-size: 10pt; max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  table { display: table; font-size: 8pt; }
  table, figure { break-inside: avoid; }
  .banner { background: #fff !important; }
  a { color: #111; text-decoration: none; }
}
"""
