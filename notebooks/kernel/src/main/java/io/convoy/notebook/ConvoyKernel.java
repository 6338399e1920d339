package io.convoy.notebook;

import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;

import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.BaseKernelBuilder;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.display.common.Image;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;

/**
 * A Java Jupyter kernel for the Convoy notebooks: JShell evaluates the cells in this JVM, jjava-jupyter
 * speaks the Jupyter protocol. The value of a cell's last expression is rendered (a
 * {@link java.awt.image.RenderedImage} as image/png, anything else as text) unless it ends with a
 * semicolon, as in IPython; {@code display(obj);} shows more than one result per cell.
 *
 * <p>Usage (from a kernel.json): {@code java <flags> -cp <kernel + Convoy classpath> io.convoy.notebook.ConvoyKernel
 * <connection file>}. Snippets are compiled against this JVM's class path and run in it, so whatever the
 * kernel JVM can load (Convoy's jars, Spark, Hadoop, JFreeChart) a cell can use.
 */
public final class ConvoyKernel extends BaseKernel {

    /** Imports every cell starts with. */
    static final List<String> STARTUP_IMPORTS = List.of(
            "import java.util.*;",
            "import java.util.stream.*;",
            "import java.awt.image.BufferedImage;",
            "import static org.dflib.jjava.jupyter.kernel.BaseNotebookStatics.display;",
            "import io.convoy.notebook.Plots;");

    private final JShell shell;
    private final ValueCapture capture;

    private ConvoyKernel(String name, String version, StringStyler errorStyler, Builder b, Charset charset) {
        super(name, version,
                new LanguageInfo("Java", Runtime.version().toString(), "text/x-java", ".jshell", "java", "java", "java"),
                List.of(), null, b.io(charset), b.comms(), renderer(), null, b.magics(), false, errorStyler);
        this.capture = new ValueCapture();
        String classPath = System.getProperty("java.class.path");
        this.shell = JShell.builder()
                .executionEngine(capture.provider(), null)
                .compilerOptions("--add-modules", "jdk.incubator.vector", "-Xlint:none")
                .build();
        shell.addToClasspath(classPath);
        for (String imp : STARTUP_IMPORTS) {
            evalSnippets(imp);
        }
    }

    private static Renderer renderer() {
        Renderer r = new Renderer();
        Image.registerAll(r);
        return r;
    }

    @Override
    public Object evalRaw(String code) {
        return evalSnippets(code);
    }

    /** Runs every complete snippet of {@code code} in order; returns the value of the last one if it is an expression. */
    private Object evalSnippets(String code) {
        capture.clear();
        SourceCodeAnalysis analysis = shell.sourceCodeAnalysis();
        String remaining = code;
        Object last = null;
        while (!remaining.isBlank()) {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(remaining);
            if (info.completeness() == SourceCodeAnalysis.Completeness.EMPTY) {
                break;
            }
            if (!info.completeness().isComplete()) {
                throw new CellException("incomplete Java code at the end of the cell:\n" + remaining.strip());
            }
            String source = info.source();
            remaining = info.remaining();
            last = null;
            for (SnippetEvent event : shell.eval(source)) {
                if (event.causeSnippet() != null) {
                    continue;   // an update of a dependent snippet, not the one just typed
                }
                Snippet snippet = event.snippet();
                if (event.status() == Snippet.Status.REJECTED) {
                    throw new CellException(diagnostics(snippet, source));
                }
                JShellException thrown = event.exception();
                if (thrown != null) {
                    throw new CellException(describe(thrown), thrown);
                }
                if (showsValue(snippet) && !source.strip().endsWith(";")) {
                    last = capture.take(event.value());
                } else {
                    capture.take(event.value());
                }
            }
        }
        return last;
    }

    private static boolean showsValue(Snippet snippet) {
        return snippet.kind() == Snippet.Kind.EXPRESSION
                || snippet.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND;
    }

    private String diagnostics(Snippet snippet, String source) {
        List<String> lines = new ArrayList<>();
        shell.diagnostics(snippet).forEach(d -> lines.add(describe(d, source)));
        if (lines.isEmpty()) {
            lines.add("rejected by the compiler: " + source.strip());
        }
        return String.join("\n", lines);
    }

    private static String describe(Diag d, String source) {
        int start = (int) Math.max(0, d.getStartPosition());
        int end = (int) Math.min(source.length(), Math.max(start, d.getEndPosition()));
        String kind = d.isError() ? "error" : "warning";
        return kind + ": " + d.getMessage(Locale.ROOT) + "\n    at: " + source.substring(start, end).strip()
                + "\n    in: " + source.strip();
    }

    private static String describe(JShellException e) {
        if (e instanceof EvalException ee) {
            return ee.getExceptionClassName() + ": " + ee.getMessage();
        }
        if (e instanceof UnresolvedReferenceException ure) {
            return "unresolved reference in " + ure.getSnippet().source().strip();
        }
        return e.toString();
    }

    @Override
    public List<String> formatError(Throwable e) {
        List<String> lines = new ArrayList<>(StringStyler.splitLines(e.getMessage() == null ? e.toString() : e.getMessage()));
        Throwable cause = e.getCause();
        if (cause != null) {
            lines.add("Stack trace:");
            for (StackTraceElement el : cause.getStackTrace()) {
                String file = el.getFileName() == null ? "" : el.getFileName();
                if (file.startsWith("#")) {
                    lines.add("    at the cell's snippet " + file + " (line " + el.getLineNumber() + ")");
                    break;   // below the snippet are JShell's wrapper and the kernel
                }
                lines.add("    at " + el);
            }
        }
        return lines;
    }

    @Override
    public DisplayData inspect(String code, int at, boolean extraDetail) {
        return null;
    }

    @Override
    public ReplacementOptions complete(String code, int at) {
        int[] anchor = new int[1];
        List<String> options = shell.sourceCodeAnalysis().completionSuggestions(code, at, anchor).stream()
                .map(SourceCodeAnalysis.Suggestion::continuation).distinct().collect(Collectors.toList());
        return options.isEmpty() ? null : new ReplacementOptions(options, anchor[0], at);
    }

    @Override
    public String isComplete(String code) {
        SourceCodeAnalysis.CompletionInfo info = shell.sourceCodeAnalysis().analyzeCompletion(code);
        while (info.completeness().isComplete() && !info.remaining().isBlank()) {
            info = shell.sourceCodeAnalysis().analyzeCompletion(info.remaining());
        }
        return switch (info.completeness()) {
            case COMPLETE, COMPLETE_WITH_SEMI, EMPTY -> IS_COMPLETE_YES;
            case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> "    ";
            case UNKNOWN -> IS_COMPLETE_BAD;
        };
    }

    @Override
    public void interrupt() {
        shell.stop();
    }

    @Override
    public void onShutdown(boolean restart) {
        super.onShutdown(restart);
        shell.close();
    }

    /** A cell's compile or run failure, with a message meant for the notebook reader. */
    static final class CellException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        // no stack trace of its own: the kernel's frames say nothing about the cell
        CellException(String message) {
            super(message, null, false, false);
        }

        CellException(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    /** Exposes the builder's protected factories to the kernel's constructor. */
    static final class Builder extends BaseKernelBuilder<Builder, ConvoyKernel> {
        @Override
        public ConvoyKernel build() {
            Charset charset = buildJupyterIOEncoding();
            return new ConvoyKernel(buildName(), buildVersion(), buildErrorStyler(), this, charset);
        }

        org.dflib.jjava.jupyter.kernel.JupyterIO io(Charset charset) {
            return buildJupyterIO(charset);
        }

        org.dflib.jjava.jupyter.kernel.comm.CommManager comms() {
            return buildCommManager();
        }

        org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry magics() {
            return buildMagicsRegistry();
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: ConvoyKernel <Jupyter connection file>");
            System.exit(2);
        }
        KernelConnectionProperties props = KernelConnectionProperties.parse(Files.readString(Path.of(args[0])));
        ConvoyKernel kernel = new Builder().name("convoy-java").version("0.1.0").build();
        JupyterConnection connection = new JupyterConnection(props);
        kernel.onStartup();
        kernel.becomeHandlerForConnection(connection);
        connection.connect();
        connection.waitUntilClose();
        kernel.onShutdown(false);
    }
}
