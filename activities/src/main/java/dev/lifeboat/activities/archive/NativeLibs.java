package dev.lifeboat.activities.archive;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/** Binding the native compression libraries (through JNA), which may be missing. */
final class NativeLibs {
  private NativeLibs() {}

  /**
   * Binds {@code bound}'s native methods to the shared library {@code soname}: null when that
   * worked, otherwise what went wrong (never null then, whatever the exception says).
   */
  static String register(Class<?> bound, String soname) {
    try {
      Native.register(bound, NativeLibrary.getInstance(soname));
      return null;
    } catch (Throwable e) {
      return e.getMessage() != null ? e.getMessage() : e.toString();
    }
  }
}
