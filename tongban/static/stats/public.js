/* The public statistics page's monthly chart with the vendored ECharts. The chart element
   names the json_script block holding its data (<div data-tb-public-chart
   data-source="element id">); the table below it holds the same facts, so nothing is lost
   without JavaScript. A static file, not an inline <script>: the Content-Security-Policy
   allows scripts from 'self' only (docs/security.md). */
(function () {
  "use strict";
  function init() {
    var el = document.querySelector("[data-tb-public-chart]");
    var source = el && document.getElementById(el.dataset.source);
    if (typeof echarts === "undefined" || !source) { return; }
    var d = JSON.parse(source.textContent);
    var chart = echarts.init(el);
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { top: 36, bottom: 10, left: 10, right: 10, containLabel: true },
      xAxis: { type: "category", data: d.categories },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "收件", type: "bar", data: d.received, itemStyle: { color: "#adb5bd" } },
        { name: "办结", type: "bar", data: d.completed, itemStyle: { color: "#0d6efd" } }
      ]
    });
    el.dataset.ready = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
