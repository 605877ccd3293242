/* \summary: the one place curses comes in (htop's ProvideCurses.h): the
 * wide-character ncursesw API. Only files in src/tui include this. */
#ifndef SRC_TUI_TUI_CURSES_H
#define SRC_TUI_TUI_CURSES_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#endif
