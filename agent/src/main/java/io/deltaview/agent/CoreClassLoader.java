package io.deltaview.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Loads Deltaview's core (driver, engine, rewriter and their relocated libraries) from the agent jar's hidden
 * {@code deltaview-core/} directory, as a child of the class loader that loaded pgjdbc, so that the core links
 * against the application's own pgjdbc and {@code java.sql}, wherever that pgjdbc lives.
 *
 * <p>Core classes and resources are looked up here first: an application that also carries a Deltaview jar never
 * mixes its copy with ours. Everything else (pgjdbc, the JDK, the {@code io.deltaview} api, which the hidden
 * directory deliberately lacks) comes from the parent.
 */
final class CoreClassLoader extends ClassLoader {

  /** Where the core lives inside the agent jar. */
  static final String ROOT = "deltaview-core/";
  /** Class files are stored with this extension so that nothing but this loader treats them as classes. */
  static final String CLASS_SUFFIX = ".classdata";

  static {
    registerAsParallelCapable();
  }

  private final JarFile jar;
  private final String urlBase;
  private final ProtectionDomain domain;

  CoreClassLoader(JarFile jar, URL jarUrl, ClassLoader parent) {
    super("deltaview-core", parent);
    this.jar = jar;
    this.urlBase = "jar:" + jarUrl.toExternalForm() + "!/";
    this.domain = new ProtectionDomain(new CodeSource(jarUrl, (Certificate[]) null), null, this, null);
  }

  /** The entry holding {@code resource} (a path inside the core; class files under their stored name). */
  private JarEntry entry(String resource) {
    String stored = resource.endsWith(".class")
        ? resource.substring(0, resource.length() - ".class".length()) + CLASS_SUFFIX : resource;
    return jar.getJarEntry(ROOT + stored);
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    synchronized (getClassLoadingLock(name)) {
      Class<?> c = findLoadedClass(name);
      if (c == null) {
        JarEntry entry = name.startsWith("java.") ? null : entry(name.replace('.', '/') + ".class");
        c = entry != null ? define(name, entry) : getParent().loadClass(name);
      }
      if (resolve) {
        resolveClass(c);
      }
      return c;
    }
  }

  @Override
  protected Class<?> findClass(String name) throws ClassNotFoundException {
    JarEntry entry = entry(name.replace('.', '/') + ".class");
    if (entry == null) {
      throw new ClassNotFoundException(name);
    }
    return define(name, entry);
  }

  private Class<?> define(String name, JarEntry entry) throws ClassNotFoundException {
    byte[] bytes;
    try (InputStream in = jar.getInputStream(entry)) {
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new ClassNotFoundException(name + ": cannot read " + entry.getName() + " from the agent jar", e);
    }
    return defineClass(name, bytes, 0, bytes.length, domain);
  }

  @Override
  public URL getResource(String name) {
    URL own = findResource(name);
    return own != null ? own : getParent().getResource(name);
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    List<URL> all = new ArrayList<>();
    URL own = findResource(name);
    if (own != null) {
      all.add(own);
    }
    all.addAll(Collections.list(getParent().getResources(name)));
    return Collections.enumeration(all);
  }

  @Override
  protected URL findResource(String name) {
    JarEntry entry = entry(name);
    if (entry == null) {
      return null;
    }
    try {
      return new URL(urlBase + entry.getName());
    } catch (MalformedURLException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  protected Enumeration<URL> findResources(String name) {
    URL own = findResource(name);
    return own == null ? Collections.emptyEnumeration() : Collections.enumeration(List.of(own));
  }

  @Override
  public String toString() {
    return "deltaview-core(" + urlBase + ROOT + ", parent " + getParent() + ")";
  }
}
