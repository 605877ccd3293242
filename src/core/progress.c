/* \summary: progress events (see progress.h). */
#include "core/progress.h"

void progress_target_started(const struct progress *p, const struct target_result *t)
{
	if (p && p->ops && p->ops->target_started)
		p->ops->target_started(p->user, p->index, t);
}

void progress_probe_started(const struct progress *p, const struct target_result *t, const char *probe)
{
	if (p && p->ops && p->ops->probe_started)
		p->ops->probe_started(p->user, p->index, t, probe);
}

void progress_probe_finished(const struct progress *p, const struct target_result *t, const char *probe,
			     enum severity worst)
{
	if (p && p->ops && p->ops->probe_finished)
		p->ops->probe_finished(p->user, p->index, t, probe, worst);
}

void progress_target_finished(const struct progress *p, const struct target_result *t)
{
	if (p && p->ops && p->ops->target_finished)
		p->ops->target_finished(p->user, p->index, t);
}
