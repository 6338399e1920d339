package io.convoy.notebook;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Pictures for the notebooks: arrays as upscaled images, matrices with their numbers written in, image
 * grids with captions, and JFreeChart line and bar charts rendered to {@link BufferedImage}s (which the
 * kernel shows as PNG).
 */
public final class Plots {

    private static final int CHART_WIDTH = 720;
    private static final int CHART_HEIGHT = 400;
    /** Line and bar colours that stay readable on white (JFreeChart's default palette has a pale yellow). */
    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0x17becf), new Color(0x7f7f7f)};

    private Plots() {
    }

    /** An (h, w) plane of {@code a} from {@code off} in grey, darkest at its minimum, each pixel a scale x scale block. */
    public static BufferedImage gray(float[] a, int off, int h, int w, int scale) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < h * w; i++) {
            min = Math.min(min, a[off + i]);
            max = Math.max(max, a[off + i]);
        }
        float range = max > min ? max - min : 1f;
        BufferedImage img = new BufferedImage(w * scale, h * scale, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v = Math.round(255f * (a[off + y * w + x] - min) / range);
                fill(img, x * scale, y * scale, scale, new Color(v, v, v).getRGB());
            }
        }
        return img;
    }

    /** Unsigned pixel bytes (an image of an ImageSet) in grey, upscaled. */
    public static BufferedImage gray(byte[] pixels, int off, int h, int w, int scale) {
        float[] f = new float[h * w];
        for (int i = 0; i < f.length; i++) {
            f[i] = pixels[off + i] & 0xff;
        }
        return gray(f, 0, h, w, scale);
    }

    /** A signed plane: blue below zero, white at zero, red above, symmetric around zero. */
    public static BufferedImage signed(float[] a, int off, int h, int w, int scale) {
        float m = 1e-12f;
        for (int i = 0; i < h * w; i++) {
            m = Math.max(m, Math.abs(a[off + i]));
        }
        BufferedImage img = new BufferedImage(w * scale, h * scale, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                fill(img, x * scale, y * scale, scale, diverging(a[off + y * w + x] / m).getRGB());
            }
        }
        return img;
    }

    /** A matrix with each value written in its cell, cells shaded by sign and size (for small worked examples). */
    public static BufferedImage numbers(float[] a, int off, int h, int w, int cell) {
        float m = 1e-12f;
        for (int i = 0; i < h * w; i++) {
            m = Math.max(m, Math.abs(a[off + i]));
        }
        BufferedImage img = new BufferedImage(w * cell + 1, h * cell + 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = graphics(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, Math.max(10, cell / 3)));
        FontMetrics fm = g.getFontMetrics();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float v = a[off + y * w + x];
                g.setColor(diverging(0.6f * v / m));
                g.fillRect(x * cell, y * cell, cell, cell);
                g.setColor(Color.GRAY);
                g.drawRect(x * cell, y * cell, cell, cell);
                String s = v == Math.rint(v) ? Integer.toString((int) v) : String.format(Locale.ROOT, "%.2f", v);
                g.setColor(Color.BLACK);
                g.drawString(s, x * cell + (cell - fm.stringWidth(s)) / 2, y * cell + (cell + fm.getAscent() - fm.getDescent()) / 2);
            }
        }
        g.dispose();
        return img;
    }

    /** Images side by side, {@code columns} per row, each with its caption underneath. */
    public static BufferedImage grid(List<BufferedImage> tiles, List<String> captions, int columns) {
        if (tiles.isEmpty()) {
            throw new IllegalArgumentException("grid needs at least one image");
        }
        if (captions != null && captions.size() != tiles.size()) {
            throw new IllegalArgumentException("grid got " + tiles.size() + " images but " + captions.size() + " captions");
        }
        Font font = new Font(Font.SANS_SERIF, Font.PLAIN, 12);
        int tw = tiles.stream().mapToInt(BufferedImage::getWidth).max().orElse(1);
        if (captions != null) {
            Graphics2D probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
            FontMetrics fm = probe.getFontMetrics(font);
            tw = Math.max(tw, captions.stream().mapToInt(fm::stringWidth).max().orElse(0) + 4);
            probe.dispose();
        }
        int th = tiles.stream().mapToInt(BufferedImage::getHeight).max().orElse(1);
        int pad = 8;
        int text = captions == null ? 0 : 18;
        int cols = Math.min(columns, tiles.size());
        int rows = (tiles.size() + cols - 1) / cols;
        BufferedImage img = new BufferedImage(cols * (tw + pad) + pad, rows * (th + text + pad) + pad, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = graphics(img);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setFont(font);
        for (int i = 0; i < tiles.size(); i++) {
            int x = pad + (i % cols) * (tw + pad);
            int y = pad + (i / cols) * (th + text + pad);
            g.drawImage(tiles.get(i), x, y, null);
            if (captions != null) {
                g.setColor(Color.BLACK);
                g.drawString(captions.get(i), x, y + th + 14);
            }
        }
        g.dispose();
        return img;
    }

    /** A line chart: one line per entry of {@code series} (name to y values), x = 1, 2, 3, ... */
    public static BufferedImage lines(String title, String xLabel, String yLabel, Map<String, double[]> series) {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            XYSeries s = new XYSeries(e.getKey());
            double[] y = e.getValue();
            for (int i = 0; i < y.length; i++) {
                s.add(i + 1, y[i]);
            }
            data.addSeries(s);
        }
        JFreeChart chart = ChartFactory.createXYLineChart(title, xLabel, yLabel, data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < series.size(); i++) {
            r.setSeriesStroke(i, new BasicStroke(2f));
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        plot.setRenderer(r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        ((org.jfree.chart.axis.NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
        plot.getDomainAxis().setStandardTickUnits(org.jfree.chart.axis.NumberAxis.createIntegerTickUnits());
        return chart.createBufferedImage(CHART_WIDTH, CHART_HEIGHT);
    }

    /** A bar chart of named values. */
    public static BufferedImage bars(String title, String yLabel, Map<String, ? extends Number> values) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        values.forEach((k, v) -> data.addValue(v, yLabel, k));
        return barChart(title, yLabel, data, false);
    }

    /** Grouped bars: one group per category (outer key), one coloured bar per series (inner key), with a legend. */
    public static BufferedImage groupedBars(String title, String yLabel, Map<String, ? extends Map<String, ? extends Number>> values) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        values.forEach((category, bars) -> bars.forEach((series, v) -> data.addValue(v, series, category)));
        return barChart(title, yLabel, data, true);
    }

    private static BufferedImage barChart(String title, String yLabel, DefaultCategoryDataset data, boolean legend) {
        JFreeChart chart = ChartFactory.createBarChart(title, "", yLabel, data, PlotOrientation.VERTICAL, legend, false, false);
        org.jfree.chart.plot.CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        org.jfree.chart.renderer.category.BarRenderer r = (org.jfree.chart.renderer.category.BarRenderer) plot.getRenderer();
        r.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        r.setShadowVisible(false);
        for (int i = 0; i < data.getRowCount(); i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
        }
        return chart.createBufferedImage(CHART_WIDTH, CHART_HEIGHT);
    }

    private static Color diverging(float t) {
        float u = Math.max(-1f, Math.min(1f, t));
        int fade = Math.round(255f * (1f - Math.abs(u)));
        return u >= 0 ? new Color(255, fade, fade) : new Color(fade, fade, 255);
    }

    private static void fill(BufferedImage img, int x0, int y0, int scale, int rgb) {
        for (int y = y0; y < y0 + scale; y++) {
            for (int x = x0; x < x0 + scale; x++) {
                img.setRGB(x, y, rgb);
            }
        }
    }

    private static Graphics2D graphics(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        return g;
    }
}
