// Draws each chart of /-/charts (templates/charts.html): fetches the rows of its
// query from the site's JSON API, then renders its Vega-Lite spec with them.
// Uses only the vendored vega, vega-lite and vega-embed; no action menu, so no
// link leads off the site.
(function () {
  "use strict";

  async function draw(element) {
    const spec = JSON.parse(element.dataset.spec);
    const status = element.parentElement.querySelector(".chart-status");
    try {
      const response = await fetch(element.dataset.rows, { credentials: "same-origin" });
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      const rows = await response.json();
      const full = Object.assign({ width: "container", height: 260 }, spec, {
        data: { values: rows },
      });
      await vegaEmbed(element, full, { actions: false, renderer: "svg" });
      element.dataset.rendered = String(rows.length);
      if (status) {
        status.textContent = rows.length ? "" : "没有数据 · No data";
      }
    } catch (error) {
      if (status) {
        status.textContent = "无法绘制 · Could not draw: " + error.message;
      }
      element.dataset.rendered = "error";
    }
  }

  document.querySelectorAll(".chart[data-spec]").forEach(draw);
})();
