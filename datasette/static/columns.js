// Table pages: the per-column descriptions (from metadata) fold under one line, so that
// the table comes first. A wide table (requests: 189 columns) listed them over nine
// screens above its rows. Without JavaScript the full list stays as Datasette prints it.
document.addEventListener("DOMContentLoaded", () => {
  for (const list of document.querySelectorAll("dl.column-descriptions")) {
    const details = document.createElement("details");
    details.className = "column-descriptions";
    const summary = document.createElement("summary");
    const count = list.querySelectorAll("dt").length;
    summary.textContent = `列说明 · Column descriptions (${count})`;
    list.replaceWith(details);
    details.append(summary, list);
  }
});
