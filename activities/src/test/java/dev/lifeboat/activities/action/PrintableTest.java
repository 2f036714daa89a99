package dev.lifeboat.activities.action;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrintableTest {
  @Test
  void controlAndReorderingCharactersBecomeEscapesAndNamesStayAsTheyAre() {
    assertThat(Printable.line("a\tb\0c\u001b[31md\re\u007f\u0085\u202e\u2066f\ng"))
        .isEqualTo("a\\tb\\x00c\\x1b[31md\\re\\x7f\\x85\\u202e\\u2066f\\ng");
    assertThat(Printable.text("first\nsecond\u001b")).isEqualTo("first\nsecond\\x1b");
    String names = "Übung/データ/naïve café.ipynb";
    assertThat(Printable.line(names)).isSameAs(names);
    assertThat(Printable.line(null)).isNull();
  }

  @Test
  void anActionFailureCarriesNoRawControlCharacter() {
    ActionException e = ActionException.check("entry 'x\u001b]0;owned\u0007' is refused\nsee log");
    assertThat(e.getMessage()).isEqualTo("entry 'x\\x1b]0;owned\\x07' is refused\nsee log");
  }
}
