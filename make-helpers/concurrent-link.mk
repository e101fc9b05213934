# concurrent-link.mk: link each program while its objects are compiling,
# with cld's background linker. GNU Make 3.82 or later (tested with 4.3).
#
#   include path/to/make-helpers/concurrent-link.mk
#
#   $(call concurrent_program,app,$(APP_OBJS))     # one call per program:
#                                                  # defines the rule `app: objs`
#   %.o: %.c
#   	$(CONCURRENT_CC) $(CC) $(CFLAGS) -c $< -o $@   # or: CC := $(CONCURRENT_CC) gcc
#
#   clean:
#   	$(CONCURRENT_CLEAN)
#
# The link command of a program is
#   $(CC) $(LDFLAGS) $(TARGET_ARCH) OBJECTS [EXTRA] $(LOADLIBES) $(LDLIBS) -o OUTPUT
# (like make's built-in rule) unless CONCURRENT_LINK_CMD.OUTPUT is set before
# the call. The first compile of one of the program's objects that actually
# runs starts a background cld for it; every compiled object is reported to
# it; the link rule then waits for it (`cld --concurrent-wait`). When no
# compile ran (a no-op build runs nothing; only a library changed: a normal
# link) the same rule links serially with cld. See make-helpers/README.md.
#
# Variables (set them before or after the include, or on the command line):
#   CLD                      the cld binary (default: cld from PATH)
#   CONCURRENT_LINK_TIMEOUT  idle timeout of a background linker nobody
#                            waits for, seconds (default 1800)
#   CONCURRENT_LINK_LOG      non-empty: keep each background linker's event
#                            log in DIR/.concurrent-link/NAME.log
#   CONCURRENT_LINK_DISABLE  non-empty: compile and link exactly as written
#                            (no cld, no background linker)

ifndef CONCURRENT_LINK_HELPER
CONCURRENT_LINK_HELPER := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))/cld-make

CLD ?= cld
CONCURRENT_LINK_TIMEOUT ?= 1800
CONCURRENT_LINK_LOG ?=
CONCURRENT_LINK_DISABLE ?=

# The compiler launcher, and the programs' link step.
CONCURRENT_CC = $(CONCURRENT_LINK_HELPER) cc
CONCURRENT_LINK = $(CONCURRENT_LINK_HELPER) link
CONCURRENT_PROGRAMS :=
# For `clean`: stop the programs' background linkers and remove their state.
CONCURRENT_CLEAN = $(CONCURRENT_LINK_HELPER) abort $(CONCURRENT_PROGRAMS)

# $(call concurrent_program,OUTPUT,OBJECTS[,EXTRA LINK ARGUMENTS])
concurrent_program = $(eval $(call concurrent_link_program__,$(strip $1),$(strip $2),$3))

# One environment string holds at most 128 KiB (Linux): a program's object
# list goes to its objects' recipes in runs of 500 (CLD_MK_OBJS, then
# CLD_MK_OBJS_1, CLD_MK_OBJS_2, ...), and its link command with the list
# written as @CLD_MK_OBJS@. The runs after the first: "K:FIRST:LAST" each.
concurrent_link_runs__ = $(if $(word 501,$1),$(shell awk 'BEGIN { for (k = 1; 500 * k < $(words $1); k++) print k ":" 500 * k + 1 ":" 500 * (k + 1) }'))
define concurrent_link_run__
$2: private export CLD_MK_OBJS_$(word 1,$(subst :, ,$1)) = $$(wordlist $(word 2,$(subst :, ,$1)),$(word 3,$(subst :, ,$1)),$$(CONCURRENT_LINK_OBJS.$3))
endef

# The objects carry (private, exported: seen by their recipes only) what
# the launcher needs: the program, its objects and its link command. Each
# object's variables refer to the program's list (CONCURRENT_LINK_OBJS.OUT)
# rather than hold a copy: 3,000 copies of a 3,000-object list took make
# over a gigabyte. The default goal is left as it was.
define concurrent_link_program__
CONCURRENT_PROGRAMS += $1
CONCURRENT_LINK_CMD.$1 ?= $$(CC) $$(LDFLAGS) $$(TARGET_ARCH) $2 $3 $$(LOADLIBES) $$(LDLIBS) -o $1
$2: private export CLD_MK_OUT = $1
CONCURRENT_LINK_OBJS.$1 := $2
$2: private export CLD_MK_OBJS = $$(wordlist 1,500,$$(CONCURRENT_LINK_OBJS.$1))
$$(foreach r,$$(call concurrent_link_runs__,$2),$$(eval $$(call concurrent_link_run__,$$r,$2,$1)))
$2: private export CLD_MK_LINK = $$(subst $$(CONCURRENT_LINK_OBJS.$1),@CLD_MK_OBJS@,$$(CONCURRENT_LINK_CMD.$1))
$2: private export CLD_MK_CLD = $$(CLD)
$2: private export CLD_MK_TIMEOUT = $$(CONCURRENT_LINK_TIMEOUT)
$2: private export CLD_MK_LOG = $$(CONCURRENT_LINK_LOG)
$2: private export CLD_MK_DISABLE = $$(CONCURRENT_LINK_DISABLE)
$1: private export CLD_MK_CLD = $$(CLD)
$1: private export CLD_MK_DISABLE = $$(CONCURRENT_LINK_DISABLE)
concurrent_link_goal__ := $$(.DEFAULT_GOAL)
$1: $2
	$$(CONCURRENT_LINK) $1 -- $$(CONCURRENT_LINK_CMD.$1)
.DEFAULT_GOAL := $$(concurrent_link_goal__)
endef
endif
