/* strategy_list.h - the registered rules, one line each, in help order: RB_STRATEGY(NAME)
 * names the file strategies/NAME.c and its descriptor rb_strategy_NAME. The only list of
 * strategies: registry.c expands it (with RB_STRATEGY defined), strategies/meson.build reads
 * it for the files to build, and the CLI, the help and the tests walk the registry. */
RB_STRATEGY(buy_and_hold)
RB_STRATEGY(calendar)
RB_STRATEGY(threshold)
RB_STRATEGY(hybrid)
RB_STRATEGY(vol_band)
RB_STRATEGY(schedule)
