package io.convoy.jobs;

import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.onnx.OnnxExport;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * {@code convoy export <model.cvm> <out.onnx> [--normalised-input]}: a Convoy model file (or a
 * checkpoint's model, any Hadoop path) as an ONNX file for ONNX Runtime and other runtimes. By default
 * the normalisation the model was trained with is folded into the graph, which then takes raw pixel
 * values 0..255; {@code --normalised-input} leaves it out (the graph takes normalised input). The file
 * is written as model files are ({@link ModelFile#writeAtomically}): under a temporary name, then renamed,
 * so a failed export never leaves a partial file or replaces a good one. Needs no Spark.
 */
final class ExportJob {
  static final String USAGE = "usage: convoy export <model.cvm> <out.onnx> [--normalised-input]";
  static final String NORMALISED_INPUT = "--normalised-input";

  private ExportJob() {}

  static void run(List<String> args, PrintStream out) {
    List<String> paths = args.stream().filter(a -> !a.startsWith("--")).toList();
    for (String a : args) {
      if (a.startsWith("--") && !a.equals(NORMALISED_INPUT)) {
        throw new JobConfigException("usage: unknown option '" + a + "' for export, expected " + NORMALISED_INPUT
            + ". " + USAGE);
      }
    }
    if (paths.size() != 2) {
      throw new JobConfigException("usage: export takes a model file and an output file, got " + paths + ". "
          + USAGE);
    }
    boolean normalisedInput = args.contains(NORMALISED_INPUT);
    Configuration conf = new Configuration();
    Path modelPath = new Path(paths.get(0));
    Path target = new Path(paths.get(1));
    try {
      if (!modelPath.getFileSystem(conf).exists(modelPath)) {
        throw new JobConfigException("export: model file " + modelPath + " does not exist");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("export: cannot read " + modelPath + ": " + e.getMessage(), e);
    }
    SavedModel model = ModelFile.readModel(modelPath, conf);
    Normalization norm = normalisedInput ? null : Normalization.fromMetadata(model.metadata());
    byte[] bytes = OnnxExport.toBytes(model, norm);
    ModelFile.writeAtomically(target, conf, bytes);
    out.println(String.format(Locale.ROOT, "convoy export: %s (%d parameters) -> %,d bytes of ONNX (IR %d, opset %d);"
        + " input '%s' %s, outputs '%s' and '%s'", modelPath, model.params().length, bytes.length,
        OnnxExport.IR_VERSION, OnnxExport.OPSET, OnnxExport.INPUT,
        norm != null ? "takes raw pixel values 0..255 (the model's normalisation " + norm + " is in the graph)"
            : normalisedInput ? "takes normalised input (" + NORMALISED_INPUT + ")"
            : "takes normalised input (the model file holds no normalisation)",
        OnnxExport.LOGITS, OnnxExport.PROBABILITY));
    out.println(target);
  }
}
