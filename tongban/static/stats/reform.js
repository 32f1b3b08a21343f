/* Planned vs measured headline rates, one bar chart per plan; the table beside it holds the
   same facts, so nothing is lost without JavaScript. Each chart element names the
   json_script block holding its data (<div data-tb-reform-chart data-source="element id">).
   A static file, not an inline <script>: the Content-Security-Policy allows scripts from
   'self' only (docs/security.md). */
(function () {
  "use strict";
  function init() {
    if (typeof echarts === "undefined") { return; }
    var charts = [];
    document.querySelectorAll("[data-tb-reform-chart]").forEach(function (el) {
      var source = document.getElementById(el.dataset.source);
      if (!source) { return; }
      var d = JSON.parse(source.textContent);
      var chart = echarts.init(el);
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null || v === undefined ? "—" : v + "%"; } },
        legend: { top: 0 },
        grid: { top: 36, bottom: 10, left: 10, right: 10, containLabel: true },
        xAxis: { type: "category", data: d.categories, axisLabel: { interval: 0, width: 60, overflow: "break" } },
        yAxis: { type: "value", axisLabel: { formatter: "{value}%" } },
        series: [
          { name: "计划（目录）", type: "bar", data: d.planned, itemStyle: { color: "#adb5bd" } },
          { name: "实测", type: "bar", data: d.measured, itemStyle: { color: "#0d6efd" } }
        ]
      });
      el.dataset.ready = "1";
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
