// Inputs a new user tried that the lab and the playground used to misread (issue 11): each is
// one line on stderr naming the flag and the value as written, exit code 2, and nothing left
// behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "lab_support.hpp"

namespace {

namespace fs = std::filesystem;
using lab_test::cli;
using lab_test::Scratch;

struct Case {
  std::vector<std::string> args;
  std::string message;  // the whole line after "descent: error: "
};

void expect_refused(const Case& c, const Scratch& s) {
  std::vector<std::string> args = c.args;
  const bool lab = args[0] == "compare" || args[0] == "train";
  if (lab) args.insert(args.end(), {"--epochs", "1", "--no-plots", "-q", "--out", (s / "out").string()});
  const auto r = cli(args, s);
  std::string what;
  for (const auto& a : c.args) what += a + " ";
  EXPECT_EQ(r.exit_code, 2) << what << r.err;
  EXPECT_EQ(r.err, "descent: error: " + c.message + "\n") << what;
  EXPECT_EQ(r.out, "") << what;
  if (lab) EXPECT_FALSE(fs::exists(s / "out")) << what << ": left an output directory";
}

TEST(LabBadInput, NumbersAreDecimalAndInRange) {
  Scratch s;
  for (const Case& c : std::vector<Case>{
           {{"minimize", "rosenbrock", "--steps", "99999999999999999999"},
            "--steps 99999999999999999999 is out of range [0, 10000000]"},
           {{"minimize", "rosenbrock", "--steps", "9223372036854775808"},
            "--steps 9223372036854775808 is out of range [0, 10000000]"},
           {{"minimize", "rosenbrock", "--steps", "0x10"},
            "--steps 0x10: not an integer (decimal digits; allowed range [0, 10000000])"},
           {{"train", "--seed", "-1"}, "--seed -1 is out of range [0, 18446744073709551615]"},
           {{"train", "--seed", "4294967296"},
            "--seed 4294967296 is out of range [0, 4294967295] for --shuffle numpy (NumPy's seeds are 32-bit; "
            "--shuffle descent takes any)"},
           {{"compare", "--batch-size", "0x10"},
            "--batch-size 0x10: not an integer (decimal digits; allowed range [1, 1000000])"},
           {{"compare", "--lr", "0x1p-3"}, "--lr 0x1p-3: not a number"},
           {{"compare", "--lr", ""}, "--lr '': not a number"},
           {{"compare", "--clip-norm", "-1"}, "--clip-norm -1 is out of range [0, inf)"},
           {{"compare", "--ema", "1"}, "--ema 1 is out of range [0, 1)"},
           {{"compare", "--ema", "-0.5"}, "--ema -0.5 is out of range [0, 1)"},
           {{"compare", "--clip-value", "inf"}, "--clip-value inf: not a finite number"},
           {{"compare", "--lr", "-1e999"}, "--lr -1e999: beyond a double's range (±1.8e308)"},
           {{"compare", "--lr", "1e-999"}, "--lr 1e-999: closer to 0 than a double holds (4.9e-324)"},
           {{"explain", "adam", "--grads", "1", "--w0", ""}, "--w0 '': not a number"},
           {{"explain", "adam", "--grads", "1", "--w0", "1e999"}, "--w0 1e999: beyond a double's range (±1.8e308)"},
       })
    expect_refused(c, s);
}

TEST(LabBadInput, ListsAndWordsAreNeverEmpty) {
  Scratch s;
  for (const Case& c : std::vector<Case>{
           {{"minimize", "rosenbrock", "--start", ""}, "--start '': an empty list"},
           {{"minimize", "rosenbrock", "--start", "1,,2"}, "--start '1,,2': item 2 is empty"},
           {{"minimize", "booth", "--optimizers", "sgd", "--lr", "sgd=0.1,sgd=0.2"},
            "--lr: sgd is given twice (second: sgd=0.2)"},
           {{"minimize", "booth", "--lr", "0.1,0.2"}, "--lr: more than one rate for every optimizer (0.2)"},
           {{"train", "--hidden", "64,,32"}, "--hidden '64,,32': item 2 is empty"},
           {{"train", "--hidden", "64,0"}, "--hidden 0 is out of range [1, 1000000]"},
           {{"compare", "--optimizers", "sgd,"}, "--optimizers 'sgd,': item 2 is empty"},
           {{"compare", "--optimizers", ""}, "--optimizers '': an empty list"},
           {{"compare", "--schedule", ""}, "--schedule '': an empty value"},
           {{"compare", "--no-decay", ""}, "--no-decay '': an empty list"},
           {{"compare", "--dataset", ""}, "--dataset '': an empty value"},
           {{"train", "--optimizer", ""}, "--optimizer '': an empty value"},
           {{"train", "--weight-decay", ""}, "--weight-decay '': an empty value"},
       })
    expect_refused(c, s);
}

TEST(LabBadInput, CommandsAndFiles) {
  Scratch s;
  fs::create_directories(s / "adir");
  for (const Case& c : std::vector<Case>{
           {{"frobnicate"},
            "'frobnicate' is not a descent command (commands: optimizers, explain, minimize, compare, train, bench; "
            "descent "
            "--help)"},
           {{"train", "--resume", (s / "adir").string()},
            "--resume " + (s / "adir").string() + ": is a directory, not a checkpoint file"},
       })
    expect_refused(c, s);
  const auto v = cli({"--version"}, s);
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.out.rfind("descent ", 0), 0u) << v.out;
}

TEST(LabBadInput, AnUnwritableOutLeavesNoDirectoryBehind) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes anywhere: no unwritable directory to try";
  Scratch s;
  fs::create_directories(s / "locked");
  fs::permissions(s / "locked", fs::perms::owner_read | fs::perms::owner_exec);
  const auto r = cli({"train", "--epochs", "1", "--no-plots", "-q", "--out", (s / "locked" / "a" / "b").string()}, s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_FALSE(fs::exists(s / "locked" / "a"));
  fs::permissions(s / "locked", fs::perms::owner_all);
}

TEST(LabBadInput, AFileWhereTheOutDirectoryWouldGoLeavesNothing) {
  // The check that runs as root too: --out a/b/c under a file; nothing of a/ may stay.
  Scratch s;
  lab_test::write(s / "file", "x");
  const auto r = cli({"train", "--epochs", "1", "--no-plots", "-q", "--out", (s / "new" / "file" / "x").string(),
                      "--dump-params", (s / "file" / "p.json").string()},
                     s);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("descent: error: --dump-params " + (s / "file").string() + ": cannot create the directory", 0),
            0u)
      << r.err;
  EXPECT_FALSE(fs::exists(s / "new")) << "--out was created although the run was refused";
}

TEST(LabBadInput, CsvByteOrderMarkAndAssumedHeaders) {
  Scratch s;
  // A BOM before a header: the first column keeps its plain name.
  lab_test::write(s / "bom.csv",
                  "\xEF\xBB\xBF"
                  "width,height,label\n1,2,a\n2,3,b\n3,1,a\n4,4,b\n5,2,a\n");
  auto r = cli({"train", "--dataset", (s / "bom.csv").string(), "--label", "label", "--epochs", "1", "--no-plots", "-q",
                "--out", (s / "o1").string()},
               s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A BOM before data: no header, and the first row stays a sample (5 samples, 1 of them test).
  lab_test::write(s / "bomdata.csv",
                  "\xEF\xBB\xBF"
                  "1,2,a\n2,3,b\n3,1,a\n4,4,b\n5,2,a\n");
  r = cli({"train", "--dataset", (s / "bomdata.csv").string(), "--epochs", "1", "--no-plots", "-q", "--out",
           (s / "o2").string()},
          s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(lab_test::read(s / "o2" / "summary.json"));
  EXPECT_EQ(summary["config"]["samples"], 5);
  // A headerless file whose first row has a typo: read as a header, and said so.
  lab_test::write(s / "typo.csv", "1,2x,a\n2,3,b\n3,1,a\n4,4,b\n5,2,a\n6,1,b\n");
  r = cli(
      {"train", "--dataset", (s / "typo.csv").string(), "--epochs", "1", "--no-plots", "--out", (s / "o3").string()},
      s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("descent: " + (s / "typo.csv").string() +
                       ": line 1 read as the header, since '2x' is not a number; 1 of its fields are numbers: if it "
                       "is data, fix that field\n"),
            std::string::npos)
      << r.err;
  // A header of names only is not doubted.
  r = cli({"train", "--dataset", (s / "bom.csv").string(), "--epochs", "1", "--no-plots", "--out", (s / "o4").string()},
          s);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("read as the header"), std::string::npos) << r.err;
}

}  // namespace
