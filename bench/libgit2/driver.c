/*
 * libgit2 workload driver for bench/link-bench.sh:  git2-driver DIR
 *
 * Creates a repository in DIR (which must not exist or be empty), writes
 * files, commits twice with a fixed signature and time, then reads
 * everything back: commit and tree ids, a blob through revparse, a diff
 * with stats, a revwalk, tags, config with a regex glob (the builtin PCRE2),
 * and a pack built from the history (zlib, deltas). Everything printed is a
 * function of the inputs, so the output is the same for every run and every
 * linker; a failure prints libgit2's error and exits 1.
 */
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(call)                                                          \
	do {                                                                     \
		int rc_ = (call);                                                    \
		if (rc_ < 0) {                                                       \
			const git_error *e_ = git_error_last();                          \
			fprintf(stderr, "git2-driver: %s failed (%d): %s\n", #call, rc_,  \
			        e_ && e_->message ? e_->message : "?");                  \
			exit(1);                                                         \
		}                                                                    \
	} while (0)

static const char *dir;

static void write_file(const char *name, int variant)
{
	char path[4096];
	FILE *f;
	int i;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	for (i = 0; i < 40; i++)
		fprintf(f, "%s line %d: %u\n", name, i,
		        (unsigned)((i * 2654435761u) ^ (unsigned)(variant && i % 7 == 3 ? 0xabcd : 0)));
	fclose(f);
}

static git_oid commit_all(git_repository *repo, const git_signature *sig,
                          const char *msg, git_commit *parent)
{
	git_index *index;
	git_oid tree_id, commit_id;
	git_tree *tree;
	const git_commit *parents[1];
	char *paths[] = { "*.txt" };
	git_strarray spec;

	spec.strings = paths;
	spec.count = 1;
	CHECK(git_repository_index(&index, repo));
	CHECK(git_index_add_all(index, &spec, 0, NULL, NULL));
	CHECK(git_index_update_all(index, &spec, NULL, NULL));
	CHECK(git_index_write(index));
	CHECK(git_index_write_tree(&tree_id, index));
	CHECK(git_tree_lookup(&tree, repo, &tree_id));
	parents[0] = parent;
	CHECK(git_commit_create(&commit_id, repo, "HEAD", sig, sig, NULL, msg, tree,
	                        parent ? 1 : 0, parents));
	/* git_oid_tostr_s has one buffer per thread: one call per printf. */
	printf("commit %s ", git_oid_tostr_s(&commit_id));
	printf("tree %s (%u entries)\n", git_oid_tostr_s(&tree_id), (unsigned)git_tree_entrycount(tree));
	git_tree_free(tree);
	git_index_free(index);
	return commit_id;
}

static int print_config(const git_config_entry *entry, void *payload)
{
	(void)payload;
	printf("config %s = %s\n", entry->name, entry->value);
	return 0;
}

static int count_pack(const git_indexer_progress *stats, void *payload)
{
	*(unsigned *)payload = stats->total_objects;
	return 0;
}

int main(int argc, char **argv)
{
	git_repository *repo;
	git_config *cfg;
	git_signature *sig;
	git_oid c1, c2, tag_id;
	git_commit *first, *second;
	git_tree *t1, *t2;
	git_diff *diff;
	git_diff_stats *stats;
	git_revwalk *walk;
	git_object *blob_obj;
	git_packbuilder *pb;
	git_buf buf = GIT_BUF_INIT;
	git_strarray tags;
	git_oid walked;
	unsigned pack_objects = 0, h = 2166136261u;
	int major, minor, rev, i, n;
	const unsigned char *p;
	git_object_size_t size, k;
	char name[32];

	if (argc != 2) {
		fprintf(stderr, "usage: git2-driver DIR\n");
		return 2;
	}
	dir = argv[1];
	CHECK(git_libgit2_init());
	CHECK(git_libgit2_version(&major, &minor, &rev));
	printf("libgit2 %d.%d.%d, features: threads %d https %d ssh %d\n", major, minor, rev,
	       !!(git_libgit2_features() & GIT_FEATURE_THREADS),
	       !!(git_libgit2_features() & GIT_FEATURE_HTTPS),
	       !!(git_libgit2_features() & GIT_FEATURE_SSH));

	/* No system, global or XDG configuration: the output must not depend on
	 * the machine (user.name, init.defaultBranch, ...). */
	CHECK(git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, ""));
	CHECK(git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, ""));
	CHECK(git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, ""));
	CHECK(git_repository_init(&repo, dir, 0));
	CHECK(git_repository_config(&cfg, repo));
	CHECK(git_config_set_string(cfg, "user.name", "cld bench"));
	CHECK(git_config_set_string(cfg, "user.email", "bench@example.invalid"));
	CHECK(git_config_set_int32(cfg, "bench.answer", 42));
	CHECK(git_config_foreach_match(cfg, "^(user|bench)\\.[a-z]+$", print_config, NULL));
	CHECK(git_signature_new(&sig, "cld bench", "bench@example.invalid", 1700000000, 60));

	for (i = 0; i < 24; i++) {
		snprintf(name, sizeof name, "file%02d.txt", i);
		write_file(name, 0);
	}
	c1 = commit_all(repo, sig, "first commit\n", NULL);
	CHECK(git_commit_lookup(&first, repo, &c1));

	for (i = 0; i < 24; i += 5) {
		snprintf(name, sizeof name, "file%02d.txt", i);
		write_file(name, 1);
	}
	write_file("new.txt", 1);
	c2 = commit_all(repo, sig, "second commit: change every fifth file\n", first);
	CHECK(git_commit_lookup(&second, repo, &c2));

	CHECK(git_commit_tree(&t1, first));
	CHECK(git_commit_tree(&t2, second));
	CHECK(git_diff_tree_to_tree(&diff, repo, t1, t2, NULL));
	CHECK(git_diff_get_stats(&stats, diff));
	printf("diff: %u files, +%u -%u\n", (unsigned)git_diff_stats_files_changed(stats),
	       (unsigned)git_diff_stats_insertions(stats), (unsigned)git_diff_stats_deletions(stats));
	CHECK(git_diff_to_buf(&buf, diff, GIT_DIFF_FORMAT_PATCH));
	for (k = 0; k < buf.size; k++)
		h = (h ^ (unsigned char)buf.ptr[k]) * 16777619u;
	printf("patch: %u bytes, fnv %08x\n", (unsigned)buf.size, h);
	git_buf_dispose(&buf);

	CHECK(git_revparse_single(&blob_obj, repo, "HEAD:file05.txt"));
	size = git_blob_rawsize((git_blob *)blob_obj);
	p = git_blob_rawcontent((git_blob *)blob_obj);
	h = 2166136261u;
	for (k = 0; k < size; k++)
		h = (h ^ p[k]) * 16777619u;
	printf("HEAD:file05.txt %s, %u bytes, fnv %08x\n", git_oid_tostr_s(git_object_id(blob_obj)),
	       (unsigned)size, h);

	CHECK(git_tag_create_lightweight(&tag_id, repo, "v1", (git_object *)first, 0));
	CHECK(git_tag_create(&tag_id, repo, "v2", (git_object *)second, sig, "release v2\n", 0));
	CHECK(git_tag_list_match(&tags, "v*", repo));
	for (k = 0; k < tags.count; k++)
		printf("tag %s\n", tags.strings[k]);
	printf("annotated tag %s\n", git_oid_tostr_s(&tag_id));
	git_strarray_dispose(&tags);

	CHECK(git_revwalk_new(&walk, repo));
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	CHECK(git_revwalk_push_head(walk));
	n = 0;
	while (git_revwalk_next(&walked, walk) == 0)
		n++;
	printf("revwalk: %d commits\n", n);

	CHECK(git_packbuilder_new(&pb, repo));
	git_packbuilder_set_threads(pb, 1);
	CHECK(git_packbuilder_insert_walk(pb, walk));
	CHECK(git_packbuilder_insert_commit(pb, &c2));
	CHECK(git_packbuilder_insert_commit(pb, &c1));
	CHECK(git_packbuilder_write(pb, NULL, 0, count_pack, &pack_objects));
	printf("pack: %u objects written, %u indexed\n",
	       (unsigned)git_packbuilder_written(pb), pack_objects);

	git_packbuilder_free(pb);
	git_revwalk_free(walk);
	git_object_free(blob_obj);
	git_diff_stats_free(stats);
	git_diff_free(diff);
	git_tree_free(t1);
	git_tree_free(t2);
	git_commit_free(first);
	git_commit_free(second);
	git_signature_free(sig);
	git_config_free(cfg);
	git_repository_free(repo);
	printf("shutdown %d\n", git_libgit2_shutdown());
	return 0;
}
