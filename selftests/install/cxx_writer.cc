// SPDX-License-Identifier: GPL-2.0
/*
 * A C++ program on the installed headers and library: each way of
 * writing (mcr_log, mcr_logf, reserve + commit, fields) on an SPSC and
 * an MPSC writer, each record read back byte for byte. Built by
 * scripts/install-test.sh with g++ -std=c++11 and -std=c++20.
 */
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <mcrring.h>

static int fails;

static void expect(bool ok, const std::string &what)
{
	if (!ok) {
		std::fprintf(stderr, "cxx_writer: %s\n", what.c_str());
		fails++;
	}
}

static void write_all(mcr_writer &w, const char *name)
{
	const std::string msg = std::string("log from C++, ") + name;
	const char *const fields[] = { "LANG=c++" };
	mcr_resv resv;

	expect(mcr_log(&w, MCR_PRI(1, 6), msg.data(), msg.size()) == 0,
	       std::string(name) + ": mcr_log");
	expect(mcr_logf(&w, MCR_PRI(1, 6), "%s %d", name, 42) > 0,
	       std::string(name) + ": mcr_logf");
	expect(mcr_reserve(&w, 9, &resv) == 0, std::string(name) + ": reserve");
	std::memcpy(resv.text, "zero-copy", 9);
	expect(mcr_commit(&w, &resv, 9, MCR_PRI(1, 6), 0) == 0,
	       std::string(name) + ": commit");
	expect(mcr_log_fields(&w, MCR_PRI(1, 3), "with a field", fields, 1) == 0,
	       std::string(name) + ": mcr_log_fields");
}

int main()
{
	static char text[MCR_TEXT_MAX];
	std::vector<std::string> got;
	mcr_writer spsc, mpsc;
	mcr_reader *rd;
	mcr_record rec;
	mcr_set *set;

	if (mcr_shm_create(2, 64, 16384, &set) || mcr_writer_spsc(set, 0, &spsc) ||
	    mcr_writer_mpsc(set, &mpsc)) {
		std::fprintf(stderr, "cxx_writer: no ring set\n");
		return 1;
	}
	write_all(spsc, "spsc");
	write_all(mpsc, "mpsc");
	if (mcr_reader_open(set, &rd))
		return 1;
	while (mcr_read(rd, &rec, text) == 1)
		got.push_back(std::string(text, rec.len));
	mcr_reader_close(rd);
	mcr_set_close(set);

	const char *const want[] = {
		"log from C++, spsc", "spsc 42", "zero-copy",
		"log from C++, mpsc", "mpsc 42", "zero-copy",
	};
	for (const char *w : want) {
		bool found = false;

		for (const std::string &g : got)
			found = found || g == w;
		expect(found, std::string("not read back: ") + w);
	}
	unsigned int with_field = 0;
	for (const std::string &g : got)
		with_field += g.find("LANG=c++") != std::string::npos;
	expect(got.size() == 8 && with_field == 2,
	       "8 records, 2 with a field; read " + std::to_string(got.size()));
	if (!fails)
		std::printf("8 records from C++\n");
	return fails ? 1 : 0;
}
