package io.convoy.notebook;

import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import jdk.jshell.execution.DirectExecutionControl;
import jdk.jshell.execution.LoaderDelegate;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;

/**
 * Runs JShell snippets in this JVM and keeps the objects they evaluate to. JShell's own local engine
 * turns every value into a string; this one hands JShell a key instead and keeps the object under it,
 * so the kernel can render an image as an image. Snippets run on the kernel's thread.
 */
final class ValueCapture {

    private static final String KEY_PREFIX = "\u0000convoy-value-";

    private final Map<String, Object> values = new ConcurrentHashMap<>();
    private final AtomicLong next = new AtomicLong();

    ExecutionControlProvider provider() {
        return new ExecutionControlProvider() {
            @Override
            public String name() {
                return "convoy-local";
            }

            @Override
            public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
                return new Control(newLoaderDelegate());
            }
        };
    }

    /** The object behind a value string JShell reported, or null (void, null, or not one of ours). */
    Object take(String valueString) {
        return valueString == null ? null : values.remove(valueString);
    }

    void clear() {
        values.clear();
    }

    private static LoaderDelegate newLoaderDelegate() {
        return new SnippetLoader();
    }

    private final class Control extends DirectExecutionControl {
        Control(LoaderDelegate loader) {
            super(loader);
        }

        @Override
        protected String invoke(Method doit) throws Exception {
            // an InvocationTargetException goes up to DirectExecutionControl, which reports the snippet's exception
            Object result = doit.invoke(null);
            if (result == null) {
                return "";
            }
            String key = KEY_PREFIX + next.incrementAndGet();
            values.put(key, result);
            return key;
        }
    }
}
