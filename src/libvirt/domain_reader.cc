#include "libvirt/domain_reader.h"

#include <memory>

#include "base/strings.h"
#include "libvirt/library.h"

namespace pgha::libvirt {
namespace {

// libxml2 through its loaded table (library.h); a Reader exists only once it loaded.
struct DocFree {
  const Libxml2Api* xml;
  void operator()(xmlDoc* d) const { xml->xmlFreeDoc(d); }
};
struct ContextFree {
  const Libxml2Api* xml;
  void operator()(xmlXPathContext* c) const { xml->xmlXPathFreeContext(c); }
};
struct ObjectFree {
  const Libxml2Api* xml;
  void operator()(xmlXPathObject* o) const { xml->xmlXPathFreeObject(o); }
};

class Reader {
 public:
  Reader(const Libxml2Api& xml, xmlDoc* doc) : xml_(xml), ctx_(xml.xmlXPathNewContext(doc), ContextFree{&xml}) {}

  // Nodes matching `xpath` below `at` (the document when null).
  std::vector<xmlNode*> Nodes(const char* xpath, xmlNode* at = nullptr) const {
    ctx_->node = at ? at : xml_.xmlDocGetRootElement(ctx_->doc);
    std::unique_ptr<xmlXPathObject, ObjectFree> result(
        xml_.xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath), ctx_.get()), ObjectFree{&xml_});
    std::vector<xmlNode*> out;
    if (result && result->nodesetval) {
      for (int i = 0; i < result->nodesetval->nodeNr; ++i) out.push_back(result->nodesetval->nodeTab[i]);
    }
    return out;
  }

  // Text of the first node matching `xpath` (an element's content or an attribute's value).
  std::string Text(const char* xpath, xmlNode* at = nullptr) const {
    auto nodes = Nodes(xpath, at);
    if (nodes.empty()) return "";
    xmlChar* content = xml_.xmlNodeGetContent(nodes.front());
    std::string out = content ? reinterpret_cast<const char*>(content) : "";
    if (content) (*xml_.xmlFree)(content);
    return out;
  }

 private:
  const Libxml2Api& xml_;
  std::unique_ptr<xmlXPathContext, ContextFree> ctx_;
};

int64_t ToInt(const std::string& text) {
  try {
    return text.empty() ? 0 : std::stoll(text);
  } catch (const std::exception&) {
    return 0;
  }
}

// libvirt reports memory in KiB unless a unit says otherwise. Read as
// unsigned with checked multiplication: an XML of someone else's making must
// not overflow a signed number.
absl::StatusOr<int64_t> MemoryMib(const std::string& amount, const std::string& unit) {
  uint64_t n = 0;
  if (!amount.empty()) {
    if (amount.find_first_not_of("0123456789") != std::string::npos || amount.size() > 19) {
      return absl::InvalidArgumentError(pgha::StrCat("memory \"", amount, "\" is not a size"));
    }
    n = std::stoull(amount);
  }
  uint64_t mib = 0;
  if (unit == "MiB" || unit == "M") {
    mib = n;
  } else if (unit == "GiB" || unit == "G") {
    if (__builtin_mul_overflow(n, uint64_t{1024}, &mib)) mib = UINT64_MAX;
  } else if (unit == "TiB" || unit == "T") {
    if (__builtin_mul_overflow(n, uint64_t{1024} * 1024, &mib)) mib = UINT64_MAX;
  } else if (unit == "b" || unit == "bytes") {
    mib = n / (1024 * 1024);
  } else if (unit.empty() || unit == "KiB" || unit == "k") {
    mib = n / 1024;
  } else {
    return absl::InvalidArgumentError(pgha::StrCat("memory unit \"", unit, "\" is not one libvirt writes"));
  }
  if (mib > static_cast<uint64_t>(INT64_MAX)) return absl::InvalidArgumentError("memory size out of range");
  return static_cast<int64_t>(mib);
}

}  // namespace

absl::StatusOr<DomainSpec> ParseDomainXml(const std::string& xml) {
  auto lib = LoadLibxml2();
  if (!lib.ok()) return lib.status();
  std::unique_ptr<xmlDoc, DocFree> doc((*lib)->xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "domain.xml",
                                                             nullptr, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                                                          XML_PARSE_NOWARNING),
                                       DocFree{*lib});
  if (!doc) return absl::InvalidArgumentError("the domain's XML does not parse");
  Reader r(**lib, doc.get());
  DomainSpec spec;
  spec.name = r.Text("/domain/name");
  spec.type = r.Text("/domain/@type");
  auto memory = MemoryMib(r.Text("/domain/memory"), r.Text("/domain/memory/@unit"));
  if (!memory.ok()) return memory.status();
  spec.memory_mib = *memory;
  spec.vcpus = ToInt(r.Text("/domain/vcpu"));
  spec.cpu_mode = r.Text("/domain/cpu/@mode");
  spec.cpu_model = r.Text("/domain/cpu/model");
  spec.kernel = r.Text("/domain/os/kernel");
  spec.initrd = r.Text("/domain/os/initrd");
  spec.cmdline = r.Text("/domain/os/cmdline");
  spec.description = r.Text("/domain/description");
  spec.watchdog_model = r.Text("/domain/devices/watchdog/@model");
  spec.console_log = r.Text("/domain/devices/serial/log/@file");
  for (xmlNode* node : r.Nodes("/domain/devices/disk")) {
    DiskSpec d;
    d.device = r.Text("@device", node) == "cdrom" ? DiskSpec::Device::kCdrom : DiskSpec::Device::kDisk;
    d.format = r.Text("driver/@type", node);
    d.source_file = r.Text("source/@file", node);
    d.target_dev = r.Text("target/@dev", node);
    d.bus = r.Text("target/@bus", node);
    d.read_only = !r.Nodes("readonly", node).empty();
    spec.disks.push_back(d);
  }
  for (xmlNode* node : r.Nodes("/domain/devices/interface")) {
    InterfaceSpec i;
    const std::string type = r.Text("@type", node);
    if (type == "network") {
      i.kind = InterfaceSpec::Kind::kNetwork;
      i.network = r.Text("source/@network", node);
    } else if (type == "direct") {
      i.kind = InterfaceSpec::Kind::kMacvtap;
      i.host_device = r.Text("source/@dev", node);
    } else {
      return absl::InvalidArgumentError(pgha::StrCat("interface of type \"", type, "\" is not one pgha manages"));
    }
    i.mac = r.Text("mac/@address", node);
    spec.interfaces.push_back(i);
  }
  return spec;
}

}  // namespace pgha::libvirt
