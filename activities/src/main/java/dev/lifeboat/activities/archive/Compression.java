package dev.lifeboat.activities.archive;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import dev.lifeboat.activities.action.ActionException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * How an archive's entries are compressed: each entry is its own run of gzip members ({@code
 * .tar.gz}, the default, which every tar reads) or of zstd frames ({@code .tar.zst}, faster, which
 * {@code tar --zstd} reads). Concatenated members or frames are one valid stream either way. The
 * archive's file name says which; its manifest's {@code compression} field agrees.
 *
 * <p>This is the one place that knows both: readers open an entry's decoding stream here, the
 * writer picks its encoder here.
 */
public enum Compression {
  GZIP("gzip", ".tar.gz", Manifest.COMPRESSION, new byte[] {0x1f, (byte) 0x8b, 8}, 18),
  ZSTD("zstd", ".tar.zst", "zstd", new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}, 9);

  private final String argument;
  private final String suffix;
  private final String manifestValue;
  private final byte[] magic;
  private final int smallestMember;

  Compression(
      String argument, String suffix, String manifestValue, byte[] magic, int smallestMember) {
    this.argument = argument;
    this.suffix = suffix;
    this.manifestValue = manifestValue;
    this.magic = magic;
    this.smallestMember = smallestMember;
  }

  /** The {@code compression} argument's value: {@code gzip} (also when absent) or {@code zstd}. */
  public static Compression fromArgument(String value) {
    if (value == null || value.isBlank()) {
      return GZIP;
    }
    for (Compression c : values()) {
      if (c.argument.equals(value)) {
        return c;
      }
    }
    throw ActionException.invalid(
        "compression '" + value + "' is unknown: use gzip (the default) or zstd");
  }

  /** The argument's spelling: {@code gzip} or {@code zstd}. */
  public String argument() {
    return argument;
  }

  /** The archive file's suffix: {@code .tar.gz} or {@code .tar.zst}. */
  public String suffix() {
    return suffix;
  }

  /** What the manifest's {@code compression} field says for archives of this kind. */
  String manifestValue() {
    return manifestValue;
  }

  /** The kind an archive file is, by its name; names without a zstd suffix are gzip. */
  static Compression ofArchive(String fileName) {
    return fileName.endsWith(ZSTD.suffix) ? ZSTD : GZIP;
  }

  static Compression ofArchive(Path archive) {
    return ofArchive(archive.getFileName().toString());
  }

  /**
   * The kind an archive is, checked against its manifest: a manifest that describes the other kind
   * (a renamed file) is damage, not something to decode by guesswork. Format 1 manifests without
   * the field are gzip.
   */
  static Compression checked(ArchiveRef ref, Manifest m) {
    Compression byName = ofArchive(ref.name());
    String said = m.compression();
    if (said != null && !said.equals(byName.manifestValue)) {
      throw new DamagedArchive(
          ref,
          "archive "
              + ref.name()
              + " is named as "
              + byName.argument
              + " but its manifest says compression '"
              + said
              + "'");
    }
    return byName;
  }

  /**
   * The plain tar of {@code compressed}, which holds whole members or frames one after the other
   * (one entry's, or the whole archive). Decoding failures (bad data, checksum, cut short) are
   * IOExceptions that are not file-system errors, as {@link Repository#isOwnStreamFailure} expects.
   */
  InputStream decoding(InputStream compressed) throws IOException {
    return switch (this) {
      case GZIP -> new GzipCompressorInputStream(compressed, true);
      case ZSTD -> new ZstdInputStreamNoFinalizer(compressed, RecyclingBufferPool.INSTANCE);
    };
  }

  /**
   * Whether {@code length} bytes starting with {@code head} can be an entry's members of this kind:
   * a copy from a previous archive checks it before trusting the manifest's offsets.
   */
  boolean looksLikeMember(byte[] head, long length) {
    return length >= smallestMember
        && head.length >= magic.length
        && Arrays.equals(head, 0, magic.length, magic, 0, magic.length);
  }

  /** How many leading bytes {@link #looksLikeMember} needs. */
  int magicLength() {
    return magic.length;
  }
}
