export const CSS = `
:root{color-scheme:light;--fg:#1f2937;--dim:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--ok:#15803d;--bad:#b91c1c;--warn:#b45309}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:0 0 12px}h3{font-size:15px;margin:18px 0 6px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:16px 0}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f1f5f9;padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
table.knobs td:first-child code{white-space:nowrap}
.dim,.note{color:var(--dim)}.note{font-size:13px;margin:8px 0 0}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.verdict{border-radius:10px;padding:14px 18px;margin:16px 0;border:1px solid}
.verdict strong{font-size:18px;display:block}
.verdict.ok{background:#f0fdf4;border-color:#86efac;color:#14532d}.verdict.bad{background:#fef2f2;border-color:#fca5a5;color:#7f1d1d}
.verdict.warn{background:#fffbeb;border-color:#fcd34d;color:#78350f}.verdict.info{background:#eff6ff;border-color:#93c5fd}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:6px 28px;margin:0}
.facts div{display:flex;gap:10px;border-bottom:1px dotted var(--line);padding:3px 0}
.facts dt{color:var(--dim);width:190px;flex:none}.facts dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0}
th,td{padding:5px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:#374151;background:#f9fafb;white-space:nowrap}
table.num td:not(:first-child){font-variant-numeric:tabular-nums;white-space:nowrap}
table.compact{width:auto}
table.objects th{white-space:normal}
.badge{display:inline-block;padding:0 8px;border-radius:999px;font-size:12px;font-weight:600}
.badge.ok{background:#dcfce7}.badge.bad{background:#fee2e2}
.stack{display:flex;min-width:90px;height:12px;border-radius:3px;overflow:hidden;background:#f1f5f9}
.stack i{display:block}
.chart{margin:10px 0 0}
.chart svg{width:100%;height:auto;display:block}
.chart .grid{stroke:#eef0f3}.chart .axis{stroke:#9ca3af}
.chart text{font-size:11px;fill:#4b5563}.chart .title{font-size:12px;fill:#374151}.chart text.mark{font-size:11px;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;color:#374151;margin-top:4px}
.legend span{display:inline-flex;align-items:center;gap:6px}
.sw{display:inline-block;width:14px;height:0;border-top:3px solid}.sw.dashed{border-top-style:dashed}
.legend .sw{height:10px;border-top-width:0}.legend .sw.dashed{height:0;border-top-width:3px}
ul.plain{margin:8px 0 0;padding-left:18px;font-size:14px}
ul.flags{font-size:13px;color:var(--warn)}
details summary{cursor:pointer;font-weight:600}
.methods dt{margin-top:8px}.methods dd{margin:2px 0 0 16px;color:#374151;font-size:14px}
header .dim{font-size:14px}
`;
