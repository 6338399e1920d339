package io.convoy.jobs;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Typed reads of a resolved job {@link Config} whose errors name the key and the value found
 * ({@code "train.epochs: expected a number, got STRING 'ten'"}), and the check that rejects keys the
 * reference configuration does not know, with a did-you-mean when one is close.
 */
public final class ConfigReader {
  private final Config config;

  public ConfigReader(Config config) {
    this.config = config;
  }

  Config config() {
    return config;
  }

  boolean isSet(String key) {
    return config.hasPath(key);   // false for null values
  }

  public String string(String key) {
    ConfigValue v = value(key);
    // a boolean is refused too: "checkpoint.dir = false" would otherwise become a folder named "false"
    if (v.valueType() == ConfigValueType.OBJECT || v.valueType() == ConfigValueType.LIST
        || v.valueType() == ConfigValueType.BOOLEAN) {
      throw wrongType(key, "a string", v);
    }
    return String.valueOf(v.unwrapped());
  }

  /** A string, or null when the key is null or absent. */
  String optionalString(String key) {
    return config.hasPath(key) ? string(key) : null;
  }

  public boolean bool(String key) {
    try {
      return config.getBoolean(key);
    } catch (ConfigException.WrongType e) {
      throw wrongType(key, "true or false", value(key));
    }
  }

  public double number(String key) {
    ConfigValue v = value(key);
    try {
      return config.getDouble(key);
    } catch (ConfigException.WrongType e) {
      throw wrongType(key, "a number", v);
    }
  }

  float floatValue(String key) {
    return (float) number(key);
  }

  long longValue(String key) {
    double d = number(key);
    if (d != Math.rint(d) || Double.isInfinite(d)) {
      throw new JobConfigException(key + ": expected a whole number, got " + show(value(key)));
    }
    return config.getLong(key);
  }

  int intValue(String key) {
    long l = longValue(key);
    if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
      throw new JobConfigException(key + ": expected a 32-bit whole number, got " + l);
    }
    return (int) l;
  }

  /** An int that must be > 0: {@code "train.batch-size must be > 0, got -3"}. */
  public int positiveInt(String key) {
    int v = intValue(key);
    if (v <= 0) {
      throw new JobConfigException(key + " must be > 0, got " + v);
    }
    return v;
  }

  public int nonNegativeInt(String key) {
    int v = intValue(key);
    if (v < 0) {
      throw new JobConfigException(key + " must be >= 0, got " + v);
    }
    return v;
  }

  float[] floatList(String key) {
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.LIST) {
      throw wrongType(key, "a list of numbers", v);
    }
    ConfigList list = (ConfigList) v;
    float[] out = new float[list.size()];
    for (int i = 0; i < out.length; i++) {
      ConfigValue e = list.get(i);
      if (e.valueType() != ConfigValueType.NUMBER) {
        throw wrongType(key + "[" + i + "]", "a number", e);
      }
      out[i] = ((Number) e.unwrapped()).floatValue();
    }
    return out;
  }

  /** A list of whole numbers, each named by its index when it is not one. */
  public List<Integer> intList(String key) {
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.LIST) {
      throw wrongType(key, "a list of whole numbers", v);
    }
    ConfigList list = (ConfigList) v;
    List<Integer> out = new java.util.ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      ConfigValue e = list.get(i);
      double d = e.valueType() == ConfigValueType.NUMBER ? ((Number) e.unwrapped()).doubleValue() : Double.NaN;
      if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
        throw wrongType(key + "[" + i + "]", "a whole number", e);
      }
      out.add((int) d);
    }
    return List.copyOf(out);
  }

  public List<String> stringList(String key) {
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.LIST) {
      throw wrongType(key, "a list of strings", v);
    }
    ConfigList list = (ConfigList) v;
    List<String> out = new java.util.ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      ConfigValue e = list.get(i);
      if (e.valueType() != ConfigValueType.STRING) {
        throw wrongType(key + "[" + i + "]", "a string", e);
      }
      out.add((String) e.unwrapped());
    }
    return List.copyOf(out);
  }

  /** One of {@code allowed} (case-insensitive, '_' and '-' alike), returned in lower case with '-'. */
  String choice(String key, List<String> allowed) {
    String raw = string(key);
    String v = raw.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (String a : allowed) {
      if (a.equals(v)) {
        return a;
      }
    }
    throw new JobConfigException(key + " must be one of " + String.join(", ", allowed) + ", got '" + raw + "'");
  }

  /** Every leaf under {@code key} as a string map with dotted keys (for spark.conf). */
  Map<String, String> stringMap(String key) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!config.hasPath(key)) {
      return out;
    }
    ConfigValue v = value(key);
    if (v.valueType() != ConfigValueType.OBJECT) {
      throw wrongType(key, "an object", v);
    }
    for (Map.Entry<String, ConfigValue> e : config.getConfig(key).entrySet()) {
      ConfigValue leaf = e.getValue();
      if (leaf.valueType() == ConfigValueType.LIST) {
        throw wrongType(key + "." + e.getKey(), "a string or number", leaf);
      }
      out.put(e.getKey(), String.valueOf(leaf.unwrapped()));
    }
    return out;
  }

  private ConfigValue value(String key) {
    if (!config.hasPathOrNull(key) || config.getIsNull(key)) {
      throw new JobConfigException(key + " is required but not set");
    }
    return config.getValue(key);
  }

  static JobConfigException wrongType(String key, String expected, ConfigValue v) {
    return new JobConfigException(key + ": expected " + expected + ", got " + show(v));
  }

  /** {@code STRING 'ten'}, {@code NUMBER 3}, {@code LIST [1,2]}. */
  static String show(ConfigValue v) {
    String text = v.valueType() == ConfigValueType.STRING ? "'" + v.unwrapped() + "'" : v.render();
    if (text.length() > 60) {
      text = text.substring(0, 57) + "...";
    }
    return v.valueType() + " " + text;
  }

  /**
   * Rejects keys of {@code actual} that {@code reference} does not have. Subtrees named in
   * {@code free} (e.g. {@code spark.conf}) are not checked.
   */
  public static void rejectUnknownKeys(ConfigObject actual, ConfigObject reference, String prefix, Set<String> free) {
    for (Map.Entry<String, ConfigValue> e : actual.entrySet()) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      if (free.contains(key)) {
        continue;
      }
      ConfigValue ref = reference.get(e.getKey());
      if (ref == null) {
        String hint = closest(e.getKey(), reference.keySet());
        String where = e.getValue().origin() == null ? "" : " (" + e.getValue().origin().description() + ")";
        throw new JobConfigException("unknown key " + key + where
            + (hint == null ? "" : "; did you mean " + (prefix.isEmpty() ? hint : prefix + "." + hint) + "?")
            + (reference.isEmpty() ? "" : " Known keys here: " + String.join(", ", reference.keySet())));
      }
      if (e.getValue().valueType() == ConfigValueType.OBJECT && ref.valueType() == ConfigValueType.OBJECT) {
        rejectUnknownKeys((ConfigObject) e.getValue(), (ConfigObject) ref, key, free);
      } else if (e.getValue().valueType() == ConfigValueType.OBJECT && ref.valueType() != ConfigValueType.NULL) {
        throw wrongType(key, "a " + ref.valueType().name().toLowerCase(Locale.ROOT), e.getValue());
      }
    }
  }

  /** The candidate within edit distance 2 (or a prefix match), or null. */
  static String closest(String key, Set<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(key.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT));
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    int limit = Math.max(2, key.length() / 3);
    return bestDistance <= limit ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  static List<String> keys(ConfigObject o) {
    return new ArrayList<>(o.keySet());
  }
}
