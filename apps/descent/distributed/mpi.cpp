// descent train --distributed ddp|zero1, one process per MPI rank under mpirun: every rank
// runs the lab's training loop (run_lab, lab::train) on the same flags and data, and
// lab::Parallel below splits each global batch across the ranks and combines their gradients
// through descent::mpi::Distributed. The loop stays the lab's one, which knows no MPI (the
// hook is its interface); only rank 0 prints and writes outputs.
#include <fmt/core.h>
#include <mpi.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <vector>

#include "../commands.hpp"
#include "../experiment.hpp"
#include "descent/error.hpp"
#include "descent/lab/train.hpp"
#include "descent/mpi/distributed.hpp"

namespace descent::cli {
namespace {

// MPI for the command's lifetime: finalized on every way out but MPI_Abort.
struct Session {
  Session() {
    int provided = 0;  // only the main thread calls MPI (the optimizer's threads do not)
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  }
  ~Session() { MPI_Finalize(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
};

template <class T>
void scaled(const Param& from, double c, std::vector<unsigned char>& to) {
  T* out = reinterpret_cast<T*>(to.data());
  const auto g = from.grad<T>();
  for (std::size_t e = 0; e < g.size(); ++e) out[e] = c == 0 ? T(0) : T(c * double(g[e]));
}

class Ranks final : public lab::Parallel {
 public:
  Ranks(const mpi::Comm& comm, mpi::DistributedOptions options) : comm_(comm), options_(options) {}
  int rank() const override { return comm_.rank(); }
  int ranks() const override { return comm_.size(); }
  bool started() const { return started_; }

  // Collective: every rank's `ok`, so that a rank that failed before training ends them all.
  std::vector<int> agree(bool ok) const {
    std::vector<int> all(std::size_t(comm_.size()), 0);
    int mine = ok ? 1 : 0;
    MPI_Request q;
    MPI_Iallgather(&mine, 1, MPI_INT, all.data(), 1, MPI_INT, comm_.get(), &q);
    comm_.wait(q, "the ranks' check that each is ready to train");
    return all;
  }

  Optimizer& start(std::vector<Param> params, const MakeOptimizer& make) override {
    const std::vector<int> all = agree(true);
    if (std::count(all.begin(), all.end(), 0) > 0) throw Exit{bad_input};  // the failing ranks say why
    started_ = true;
    model_ = std::move(params);
    // Distributed reads the gradients it sums from here: this rank's, weighted by its share.
    std::vector<Param> views;
    grads_.reserve(model_.size());
    for (const Param& p : model_) {
      const bool f32 = p.dtype() == DType::f32;
      grads_.emplace_back(p.size() * (f32 ? sizeof(float) : sizeof(double)));
      const unsigned char* g = grads_.back().data();
      views.push_back(
          f32 ? Param(p.name(), p.value<float>().data(), reinterpret_cast<const float*>(g), p.size(), p.shape())
              : Param(p.name(), p.value<double>().data(), reinterpret_cast<const double*>(g), p.size(), p.shape()));
    }
    distributed_ = std::make_unique<mpi::Distributed>(comm_, std::move(views), make, options_);
    return distributed_->optimizer();
  }

  void reduce(double share) override {
    const double c = share * double(comm_.size());  // Distributed takes the mean over the ranks
    for (std::size_t i = 0; i < model_.size(); ++i)
      model_[i].dtype() == DType::f32 ? scaled<float>(model_[i], c, grads_[i])
                                      : scaled<double>(model_[i], c, grads_[i]);
    distributed_->add();
    distributed_->reduce();
  }
  void clip_grad_norm(double max_norm) override { distributed_->clip_grad_norm(max_norm); }
  void step() override { distributed_->step(); }

  double sum(double x) override {
    std::vector<double> all(std::size_t(comm_.size()), 0.0);
    MPI_Request q;
    MPI_Iallgather(&x, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, comm_.get(), &q);
    comm_.wait(q, "the all-gather of the epoch's loss");
    double total = 0;
    for (double v : all) total += v;
    return total;
  }

  // Collective. What rank 0 did of the run's work, for the user (and the tests: zero1's state
  // is ~1/N of ddp's, and the gradients did go through MPI).
  void report(const LabArgs& a) {
    const double mine = distributed_ ? double(distributed_->state_bytes()) : 0.0, all = sum(mine);
    if (comm_.rank() != 0 || a.quiet) return;
    fmt::print(
        "distributed: {} on {} ranks; optimizer state {} bytes on rank 0 ({} on all ranks); rank 0 sent {} bytes\n",
        a.distributed, comm_.size(), mine, all, comm_.sent_bytes());
  }

 private:
  const mpi::Comm& comm_;
  mpi::DistributedOptions options_;
  bool started_ = false;
  std::vector<Param> model_;
  std::vector<std::vector<unsigned char>> grads_;
  std::unique_ptr<mpi::Distributed> distributed_;
};

// What the distributed loop does not do yet: refused, never silently ignored.
void refuse_unsupported(const LabArgs& a) {
  auto refuse = [&](bool used, const char* flag) {
    if (used) throw OptionError(fmt::format("{} is not supported with --distributed (yet)", flag));
  };
  refuse(a.clip_value > 0, "--clip-value");
  refuse(a.clip_norm_per_tensor > 0, "--clip-norm-per-tensor");
  refuse(!a.save.empty(), "--save");
  refuse(a.save_every > 0, "--save-every");
  refuse(!a.resume.empty(), "--resume");
  // The lab's loop would round each rank's share of the gradient to bf16, not their sum.
  refuse(a.dtype == "bf16", "--dtype bf16");
  if (a.distributed == "zero1" && (a.nonfinite == "skip" || a.nonfinite == "zero"))
    throw OptionError("--nonfinite " + a.nonfinite +
                      " is not supported with --distributed zero1 (each rank sees only its share of the gradient)");
}

}  // namespace

void run_distributed(const LabArgs& a) {
  mpi::DistributedOptions options;
  options.mode = mpi::parse_mode(a.distributed);
  if (a.bucket_bytes > 0) options.bucket_bytes = std::size_t(a.bucket_bytes);
  const Session session;
  const mpi::Comm comm(MPI_COMM_WORLD, a.timeout > 0 ? a.timeout : 60);
  Ranks ranks(comm, options);
  try {
    refuse_unsupported(a);
    run_lab(a, &ranks);
    ranks.report(a);
  } catch (const Exit&) {
    throw;
  } catch (const std::exception& e) {
    // Training: the others may wait in a collective for this rank; end them all now.
    if (ranks.started()) comm.fail(e.what());
    // Before: every rank checked the same flags and data; rank 0 speaks for the ranks that
    // failed as it did, any other rank for itself; while MPI is up (MPI_Finalize waits for
    // every rank), as mpirun may end the job once a rank has exited.
    const std::vector<int> all = ranks.agree(false);
    throw Exit{comm.rank() == 0 || all[0] == 1 ? print_error(e) : bad_input};
  }
}

}  // namespace descent::cli
