package io.convoy.notebook;

import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import jdk.jshell.execution.LoaderDelegate;
import jdk.jshell.spi.ExecutionControl.ClassBytecodes;
import jdk.jshell.spi.ExecutionControl.ClassInstallException;
import jdk.jshell.spi.ExecutionControl.EngineTerminationException;
import jdk.jshell.spi.ExecutionControl.InternalException;
import jdk.jshell.spi.ExecutionControl.NotImplementedException;

/**
 * Loads the classes JShell compiles from snippets. Its parent is the system class loader, so snippets
 * share classes (and static state) with the kernel: a snippet's {@code display(...)} reaches the kernel
 * that runs it, and Convoy's classes are loaded once.
 */
final class SnippetLoader implements LoaderDelegate {

    private final Map<String, byte[]> classFiles = new ConcurrentHashMap<>();
    private final Map<String, Class<?>> loaded = new ConcurrentHashMap<>();
    private final Loader loader = new Loader();

    private final class Loader extends URLClassLoader {
        Loader() {
            super("convoy-snippets", new URL[0], ClassLoader.getSystemClassLoader());
        }

        void addPath(URL url) {
            addURL(url);
        }

        @Override
        protected Class<?> findClass(String name) throws ClassNotFoundException {
            byte[] bytes = classFiles.get(name);
            if (bytes == null) {
                return super.findClass(name);
            }
            return defineClass(name, bytes, 0, bytes.length);
        }
    }

    @Override
    public void load(ClassBytecodes[] cbcs) throws ClassInstallException, NotImplementedException, EngineTerminationException {
        boolean[] installed = new boolean[cbcs.length];
        for (ClassBytecodes cbc : cbcs) {
            classFiles.put(cbc.name(), cbc.bytecodes());
        }
        int i = 0;
        try {
            for (ClassBytecodes cbc : cbcs) {
                Class<?> c = loader.loadClass(cbc.name());
                loaded.put(cbc.name(), c);
                installed[i++] = true;
                c.getDeclaredMethods();   // links the class now, so errors surface here
            }
        } catch (Throwable t) {
            throw new ClassInstallException("snippet class could not be loaded: " + t, installed);
        }
    }

    @Override
    public void classesRedefined(ClassBytecodes[] cbcs) {
        for (ClassBytecodes cbc : cbcs) {
            classFiles.put(cbc.name(), cbc.bytecodes());
        }
    }

    @Override
    public void addToClasspath(String path) throws EngineTerminationException, InternalException {
        try {
            for (String entry : path.split(File.pathSeparator)) {
                if (!entry.isEmpty()) {
                    loader.addPath(new File(entry).toURI().toURL());
                }
            }
        } catch (MalformedURLException e) {
            throw new InternalException("bad class path entry in " + path + ": " + e.getMessage());
        }
    }

    @Override
    public Class<?> findClass(String name) throws ClassNotFoundException {
        Class<?> c = loaded.get(name);
        if (c == null) {
            throw new ClassNotFoundException(name + " has not been loaded by the snippet loader");
        }
        return c;
    }
}
