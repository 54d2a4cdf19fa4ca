/* Plan page: a bar chart of the number of tasks per group (Apache ECharts, vendored).
 * The data comes from the page's <script type="application/json" id="chart-data"> block
 * (Django's json_script), so no inline script is needed and the CSP stays strict. */
(function () {
  "use strict";

  var FONT = '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif';

  function render() {
    var container = document.getElementById("plan-chart");
    var source = document.getElementById("chart-data");
    if (!container || !source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent);
    var chart = window.echarts.init(container, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: FONT },
      grid: { left: 4, right: 36, top: 4, bottom: 4, containLabel: true },
      // The default HTML tooltip writes style="" attributes, which the CSP forbids.
      tooltip: {
        trigger: "axis",
        renderMode: "richText",
        axisPointer: { type: "shadow" },
        formatter: function (items) {
          return items[0].name + "：" + items[0].value + " 项任务";
        }
      },
      xAxis: {
        type: "value",
        minInterval: 1,
        axisLabel: { color: "#6b7280" },
        splitLine: { lineStyle: { color: "#eceff3" } }
      },
      yAxis: {
        type: "category",
        inverse: true,
        data: data.labels,
        axisTick: { show: false },
        axisLine: { lineStyle: { color: "#c9d1dc" } },
        axisLabel: { color: "#1f2937", fontSize: 12, width: 250, overflow: "truncate" }
      },
      series: [{
        type: "bar",
        data: data.counts,
        barMaxWidth: 12,
        cursor: "pointer",
        itemStyle: { color: "#1a4d8f", borderRadius: [0, 2, 2, 0] },
        label: { show: true, position: "right", color: "#1f2937", fontSize: 12 }
      }]
    });
    // A click on a bar jumps to that group in the task tree below.
    chart.on("click", function (params) {
      var anchor = data.anchors[params.dataIndex];
      var target = anchor && document.getElementById(anchor);
      if (target) {
        target.open = true;
        target.scrollIntoView({ block: "start" });
      }
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", render);
  } else {
    render();
  }
})();
