package io.convoy.jobs;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Walks every leaf key of the reference configuration and gives it values of the wrong type and, for
 * numbers, out-of-range values; {@link JobConfigs#parse} must refuse each with a message that names the
 * key. A value that is accepted must be listed in {@link #ACCEPTED} with the reason it is legitimate.
 */
class ConfigWalkTest {
  /** Keys under which any value is free, with the reason. */
  private static final Map<String, String> FREE = Map.of(
      "spark.conf", "passed to Spark as it is; Spark checks its own settings",
      "model.layers", "a list of layer objects, walked by ModelSpecsTest (the layer parser) instead",
      "preprocess.normalize", "none | compute | {mean, std}: a word or an object, checked by PreprocessConfig");

  /** Keys whose value is null in the reference: their type when set. */
  private static final Map<String, ConfigValueType> NULL_TYPES = Map.of(
      "schedule.total-epochs", ConfigValueType.NUMBER,
      "preprocess.height", ConfigValueType.NUMBER,
      "preprocess.width", ConfigValueType.NUMBER,
      "preprocess.split", ConfigValueType.OBJECT);

  /**
   * (key, value class) pairs that parse legitimately, with why. Value classes: number, string, list,
   * object, boolean, negative, zero, huge, fraction, word.
   */
  private static final Map<String, String> ACCEPTED = new LinkedHashMap<>();

  static {
    // (data.validation.* are left out: set alone, without the other half of the pair, they are refused)
    String text = "a number is a valid text (a file name, a master URL or an app name Spark checks itself)";
    for (String k : List.of("spark.master", "spark.app-name", "data.train.images", "data.train.labels",
        "data.test.images", "data.test.labels", "checkpoint.dir",
        "output.dir", "evaluate.model", "evaluate.output", "predict.model", "predict.output")) {
      ACCEPTED.put(k + "/number", text);
      ACCEPTED.put(k + "/word", text);
    }
    for (String k : List.of("data.train.limit", "data.validation.limit", "data.test.limit")) {
      ACCEPTED.put(k + "/zero", "0 = every record");
    }
    ACCEPTED.put("data.validation-split/zero", "0 = no split");
    ACCEPTED.put("data.augment.shift/zero", "0 = no shift");
    ACCEPTED.put("train.seed/negative", "any 64-bit seed");
    ACCEPTED.put("train.seed/zero", "any 64-bit seed");
    ACCEPTED.put("train.seed/huge", "any 64-bit seed");
    ACCEPTED.put("train.early-stopping.patience/zero", "0 = off");
    ACCEPTED.put("train.early-stopping.min-delta/zero", "0 = any improvement counts");
    ACCEPTED.put("train.early-stopping.min-delta/huge", "a large delta only stops early sooner");
    ACCEPTED.put("train.early-stopping.min-delta/fraction", "a real number");
    ACCEPTED.put("train.averaging-period/zero", "0 = once per epoch");
    ACCEPTED.put("train.partitions/zero", "0 = Spark's default parallelism");
    ACCEPTED.put("schedule.warmup-epochs/zero", "0 = no warm-up");
    ACCEPTED.put("schedule.min-rate/zero", "cosine down to 0");
    ACCEPTED.put("schedule.min-rate/fraction", "a real number");
    ACCEPTED.put("optimizer.momentum/zero", "plain SGD / no RMSProp momentum");
    ACCEPTED.put("optimizer.momentum/fraction", "in [0, 1)");
    ACCEPTED.put("optimizer.beta1/zero", "no first-moment averaging");
    ACCEPTED.put("optimizer.beta1/fraction", "in [0, 1)");
    ACCEPTED.put("optimizer.beta2/zero", "no second-moment averaging");
    ACCEPTED.put("optimizer.beta2/fraction", "in [0, 1)");
    ACCEPTED.put("optimizer.alpha/zero", "RMSProp without averaging");
    ACCEPTED.put("optimizer.alpha/fraction", "in [0, 1)");
    ACCEPTED.put("optimizer.weight-decay/zero", "0 = off");
    ACCEPTED.put("optimizer.weight-decay/huge", "a strong decay is a choice, not an error");
    ACCEPTED.put("optimizer.weight-decay/fraction", "a real number");
    ACCEPTED.put("optimizer.clip-norm/zero", "0 = off");
    ACCEPTED.put("optimizer.clip-norm/huge", "a large norm only clips less");
    ACCEPTED.put("optimizer.clip-norm/fraction", "a real number");
    ACCEPTED.put("optimizer.learning-rate/huge", "divergence is caught while training, not a config error");
    ACCEPTED.put("optimizer.learning-rate/fraction", "a real number");
    ACCEPTED.put("optimizer.eps/huge", "a large epsilon damps Adam, not an error");
    ACCEPTED.put("optimizer.eps/fraction", "a real number");
    ACCEPTED.put("schedule.min-rate/huge", "a floor above the base rate is allowed by the cosine formula");
    ACCEPTED.put("schedule.gamma/fraction", "in (0, 1]");
    for (String k : List.of("preprocess.input", "preprocess.output", "data.validation.shards")) {
      ACCEPTED.put(k + "/word", "any folder or file name");
    }
    ACCEPTED.put("data.validation.shards/number", text);
    ACCEPTED.put("preprocess.labels/word", "a CSV file of path,label lines may have any name");
    ACCEPTED.put("preprocess.glob/word", "any glob");
    ACCEPTED.put("preprocess.seed/negative", "any 64-bit seed");
    ACCEPTED.put("preprocess.seed/zero", "any 64-bit seed");
    ACCEPTED.put("preprocess.seed/huge", "any 64-bit seed");
    ACCEPTED.put("preprocess.max-pixels/huge", "a higher limit is a choice; images that do not fit memory are"
        + " still rejected one by one");
  }

  /** Settings a key needs to be read at all (a step schedule for schedule.every-epochs, ...). */
  private static final Map<String, Map<String, Object>> CONTEXT = Map.of(
      "schedule.every-epochs", Map.of("schedule.kind", "step"),
      "schedule.gamma", Map.of("schedule.kind", "step"),
      "schedule.total-epochs", Map.of("schedule.kind", "cosine"),
      "schedule.min-rate", Map.of("schedule.kind", "cosine"),
      "data.validation-split", Map.of(),
      "data.normalization.std", Map.of("data.normalization.compute", false));

  /** Keys whose reference value is a whole number (the others are real numbers). */
  private static boolean wholeNumber(String key, ConfigValue ref) {
    if (key.equals("schedule.total-epochs")) {
      return true;
    }
    Object v = ref.unwrapped();
    return (v instanceof Integer || v instanceof Long) && !key.startsWith("optimizer.") && !key.endsWith("min-delta")
        && !key.endsWith("min-rate") && !key.endsWith("validation-split");
  }

  private record Case(String key, String kind, Object value) {
  }

  private static Config base() {
    // plausible data paths (never opened by parse) on top of the defaults; the example job's model
    return JobConfigs.load(new java.io.File(System.getProperty("convoy.project.root", ".."), "conf/fashion-mnist.conf"),
        List.of("data.train.images=/data/train-images", "data.train.labels=/data/train-labels",
            "preprocess.input=/data/images", "preprocess.output=/data/shards", "preprocess.height=28",
            "preprocess.width=28"));
  }

  /** The check a key goes through: the preprocess command's for its section, the other jobs' for the rest. */
  private static void parse(String key, Config cfg) {
    if (key.startsWith("preprocess.")) {
      JobConfigs.parsePreprocess(cfg);
    } else {
      JobConfigs.parse(cfg);
    }
  }

  private static void leaves(ConfigObject o, String prefix, Map<String, ConfigValue> out) {
    for (Map.Entry<String, ConfigValue> e : o.entrySet()) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      if (FREE.containsKey(key)) {
        continue;
      }
      if (e.getValue().valueType() == ConfigValueType.OBJECT) {
        leaves((ConfigObject) e.getValue(), key, out);
      } else {
        out.put(key, e.getValue());
      }
    }
  }

  private static List<Case> cases(String key, ConfigValue ref) {
    ConfigValueType type = ref.valueType() == ConfigValueType.NULL
        ? NULL_TYPES.getOrDefault(key, ConfigValueType.STRING) : ref.valueType();
    List<Case> out = new ArrayList<>();
    Map<String, Object> obj = Map.of("x", 1);
    out.add(new Case(key, "object", obj));
    switch (type) {
      case NUMBER -> {
        out.add(new Case(key, "string", "ten"));
        out.add(new Case(key, "list", List.of(1, 2)));
        out.add(new Case(key, "boolean", true));
        out.add(new Case(key, "negative", -1));
        out.add(new Case(key, "zero", 0));
        out.add(new Case(key, "huge", 1e12));
        if (wholeNumber(key, ref)) {
          out.add(new Case(key, "fraction", 2.5));
        }
      }
      case BOOLEAN -> {
        out.add(new Case(key, "word", "maybe"));
        out.add(new Case(key, "number", 5));
        out.add(new Case(key, "list", List.of(true)));
      }
      case OBJECT -> {
        out.remove(out.size() - 1);
        out.add(new Case(key, "object", Map.of("no-such-key", 1)));
        out.add(new Case(key, "string", "ten"));
        out.add(new Case(key, "number", 5));
        out.add(new Case(key, "list", List.of(1, 2)));
      }
      case LIST -> {
        out.add(new Case(key, "string", "0.5"));
        out.add(new Case(key, "number", 5));
        out.add(new Case(key, "boolean", true));
        out.add(new Case(key, "list", List.of("a", "b", "c")));
      }
      default -> {   // strings: free text, or a choice among names
        out.add(new Case(key, "list", List.of("a")));
        out.add(new Case(key, "number", 5));
        out.add(new Case(key, "word", "no-such-value"));
        out.add(new Case(key, "boolean", false));
      }
    }
    return out;
  }

  @Test
  void everyReferenceKeyRefusesWrongTypesAndOutOfRangeValuesNamingTheKey() {
    Config base = base();
    JobConfigs.parse(base);   // the base itself is valid
    JobConfigs.parsePreprocess(base);
    Map<String, ConfigValue> keys = new LinkedHashMap<>();
    leaves(JobConfigs.reference().root(), "", keys);
    List<String> problems = new ArrayList<>();
    int refused = 0;
    int accepted = 0;
    for (Map.Entry<String, ConfigValue> k : keys.entrySet()) {
      for (Case c : cases(k.getKey(), k.getValue())) {
        Config cfg = base;
        for (Map.Entry<String, Object> ctx : CONTEXT.getOrDefault(c.key(), Map.of()).entrySet()) {
          cfg = cfg.withValue(ctx.getKey(), ConfigValueFactory.fromAnyRef(ctx.getValue()));
        }
        cfg = cfg.withValue(c.key(), ConfigValueFactory.fromAnyRef(c.value()));
        String id = c.key() + "/" + c.kind();
        try {
          parse(c.key(), cfg);
          accepted++;
          if (!ACCEPTED.containsKey(id)) {
            problems.add(id + " = " + c.value() + ": accepted, expected an error naming " + c.key());
          }
        } catch (JobConfigException e) {
          refused++;
          if (e.getMessage() == null || !e.getMessage().contains(c.key())) {
            problems.add(id + " = " + c.value() + ": refused, but the message does not name the key: "
                + e.getMessage());
          }
          if (ACCEPTED.containsKey(id)) {
            problems.add(id + " = " + c.value() + ": listed as accepted (" + ACCEPTED.get(id) + ") but refused: "
                + e.getMessage());
          }
        } catch (RuntimeException e) {
          problems.add(id + " = " + c.value() + ": " + e.getClass().getName() + " instead of JobConfigException: "
              + e.getMessage());
        }
      }
    }
    System.out.println("ConfigWalkTest: " + keys.size() + " keys, " + (refused + accepted) + " cases, " + refused
        + " refused, " + accepted + " accepted as listed");
    assertTrue(problems.isEmpty(), problems.size() + " problems:\n" + String.join("\n", problems));
    assertTrue(keys.keySet().containsAll(Set.of("train.epochs", "optimizer.eps", "schedule.total-epochs")),
        "the walk found " + keys.keySet());
  }

  @Test
  void freeSubtreesTakeAnyValue() {
    Config cfg = base().withValue("spark.conf", ConfigFactory.parseString("spark.x.y = 3, spark.z = \"w\"").root());
    assertTrue(JobConfigs.parse(cfg).spark().conf().containsKey("spark.x.y"));
  }
}
