package io.convoy.pipeline.report;

import io.convoy.pipeline.train.EpochMetrics;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The report's charts, drawn with JFreeChart and encoded as PNG (headless). */
final class Charts {
  static final int WIDTH = 560;
  static final int HEIGHT = 320;
  private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
      new Color(0xd62728)};

  private Charts() {}

  /** Training loss per epoch (1-based on the axis). */
  static byte[] loss(List<EpochMetrics> h) {
    XYSeriesCollection d = new XYSeriesCollection();
    d.addSeries(series("training loss", h, EpochMetrics::loss));
    return png(lines("Loss", "loss", d, false));
  }

  /** Train, validation and test accuracy per epoch, in percent; series without any value are left out. */
  static byte[] accuracy(List<EpochMetrics> h) {
    XYSeriesCollection d = new XYSeriesCollection();
    addIfAny(d, series("train", h, m -> 100 * m.trainAccuracy()));
    addIfAny(d, series("validation", h, m -> 100 * m.valAccuracy()));
    addIfAny(d, series("test", h, m -> 100 * m.testAccuracy()));
    return png(lines("Accuracy", "accuracy (%)", d, false));
  }

  /** Images per second per epoch, as bars. */
  static byte[] throughput(List<EpochMetrics> h) {
    DefaultCategoryDataset d = new DefaultCategoryDataset();
    for (EpochMetrics m : h) {
      d.addValue(finite(m.imagesPerSecond()), "images/s", Integer.valueOf(m.epoch() + 1));
    }
    JFreeChart c = ChartFactory.createBarChart("Training throughput", "epoch", "images / second", d,
        PlotOrientation.VERTICAL, false, false, false);
    style(c.getCategoryPlot());
    return png(c);
  }

  /** Compute, communication and wait seconds per epoch, stacked. */
  static byte[] timeBreakdown(List<EpochMetrics> h) {
    DefaultCategoryDataset d = new DefaultCategoryDataset();
    for (EpochMetrics m : h) {
      Integer e = m.epoch() + 1;
      d.addValue(finite(m.computeSeconds()), "compute", e);
      d.addValue(finite(m.communicationSeconds()), "communication", e);
      d.addValue(finite(m.waitSeconds()), "wait", e);
    }
    JFreeChart c = ChartFactory.createStackedBarChart("Time per epoch", "epoch", "seconds", d,
        PlotOrientation.VERTICAL, true, false, false);
    style(c.getCategoryPlot());
    return png(c);
  }

  private static JFreeChart lines(String title, String yLabel, XYSeriesCollection d, boolean zeroBased) {
    JFreeChart c = ChartFactory.createXYLineChart(title, "epoch", yLabel, d, PlotOrientation.VERTICAL,
        d.getSeriesCount() > 1, false, false);
    XYPlot p = c.getXYPlot();
    p.setBackgroundPaint(Color.WHITE);
    p.setDomainGridlinePaint(Color.LIGHT_GRAY);
    p.setRangeGridlinePaint(Color.LIGHT_GRAY);
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < d.getSeriesCount(); i++) {
      r.setSeriesPaint(i, COLORS[i % COLORS.length]);
      r.setSeriesStroke(i, new BasicStroke(2f));
    }
    p.setRenderer(r);
    NumberAxis x = (NumberAxis) p.getDomainAxis();
    x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    ((NumberAxis) p.getRangeAxis()).setAutoRangeIncludesZero(zeroBased);
    return c;
  }

  private static void style(CategoryPlot p) {
    p.setBackgroundPaint(Color.WHITE);
    p.setRangeGridlinePaint(Color.LIGHT_GRAY);
    BarRenderer r = (BarRenderer) p.getRenderer();
    r.setBarPainter(new StandardBarPainter());
    r.setShadowVisible(false);
    for (int i = 0; i < COLORS.length; i++) {
      r.setSeriesPaint(i, COLORS[i]);
    }
  }

  private static XYSeries series(String name, List<EpochMetrics> h, ToDoubleFunction<EpochMetrics> f) {
    XYSeries s = new XYSeries(name);
    for (EpochMetrics m : h) {
      double v = f.applyAsDouble(m);
      if (Double.isFinite(v)) {
        s.add(m.epoch() + 1, v);
      }
    }
    return s;
  }

  private static void addIfAny(XYSeriesCollection d, XYSeries s) {
    if (s.getItemCount() > 0) {
      d.addSeries(s);
    }
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  private static byte[] png(JFreeChart c) {
    c.setBackgroundPaint(Color.WHITE);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ChartUtils.writeChartAsPNG(out, c, WIDTH, HEIGHT);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("report: cannot draw the chart \"" + c.getTitle().getText() + "\": " + e, e);
    }
  }
}
