package dev.lifeboat.activities.archive;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Who owned an entry, as its tar header records it: names first (they travel between machines),
 * numbers when a name is unknown where it is restored. The manifest does not repeat it.
 */
public record Owner(long uid, long gid, String user, String group) {
  static Owner of(TarArchiveEntry te) {
    return new Owner(
        te.getLongUserId(),
        te.getLongGroupId(),
        blankToNull(te.getUserName()),
        blankToNull(te.getGroupName()));
  }

  private static String blankToNull(String name) {
    return name == null || name.isEmpty() ? null : name;
  }
}
