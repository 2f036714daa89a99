package dev.lifeboat.runbook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Set and source names become folders: refused before a run when no folder can have them. */
class NamesTest {
  @Test
  void aNameLongerThanAFolderNameIsRefusedSayingSo() {
    assertThat(Names.checkSegment("s".repeat(255), "source")).hasSize(255);
    // before, 300 characters passed and the backup failed at mkdir with "File name too long"
    assertThatThrownBy(() -> Names.checkSegment("s".repeat(300), "source"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "source '"
                + "s".repeat(40)
                + "...' is 300 characters long; a folder name has at most 255");
    assertThatThrownBy(() -> ParamType.SETNAME.coerce("x".repeat(256)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is 256 characters long");
  }

  @Test
  void aPathNoFileSystemTakesIsRefusedBeforeTheRun() {
    // before, both failed only when the step opened them ("File name too long", "does not exist")
    assertThat(ParamType.PATH.coerce("/tmp/" + "n".repeat(255))).isNotNull();
    assertThatThrownBy(() -> ParamType.PATH.coerce("/tmp/" + "n".repeat(256)))
        .hasMessageEndingWith("has a folder or file name longer than 255 bytes");
    String deep = "/tmp" + ("/" + "d".repeat(200)).repeat(21);
    assertThatThrownBy(() -> ParamType.PATH.coerce(deep))
        .hasMessageEndingWith("is longer than a path can be (4095 bytes)");
    assertThat(ParamType.PATH.coerce("/tmp" + ("/" + "d".repeat(200)).repeat(20))).isNotNull();
  }
}
