/* registry.c - the list of strategies, expanded from strategies/strategy_list.h (one line
 * per rule). The CLI, the help and the tests walk this list; nothing else names strategies. */
#include <string.h>

#include "strategy.h"

#define RB_STRATEGY(name) extern const rb_strategy rb_strategy_##name;
#include "strategy_list.h"
#undef RB_STRATEGY

static const rb_strategy *const registry[] = {
#define RB_STRATEGY(name) &rb_strategy_##name,
#include "strategy_list.h"
#undef RB_STRATEGY
};
#define NSTRATEGIES (sizeof registry / sizeof registry[0])

const rb_strategy *const *rb_strategy_all(size_t *n)
{
    *n = NSTRATEGIES;
    return registry;
}

const rb_strategy *rb_strategy_find(const char *name)
{
    for (size_t i = 0; i < NSTRATEGIES; i++)
        if (strcmp(registry[i]->info.name, name) == 0) return registry[i];
    return NULL;
}

size_t rb_strategy_count(void) { return NSTRATEGIES; }

const rb_strategy_info *rb_strategy_at(size_t i) { return i < NSTRATEGIES ? &registry[i]->info : NULL; }
