"""Oracle: the meeting-preparation reference data (seed step 4) as the migrations seed it —
the five buyer personas, MEDDPPICC discovery questions and the buyer process map stages.
The app serves what the database holds; tests compare that with this copy.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BUYER_PROCESS_STAGES",
    "DISCOVERY_QUESTIONS",
    "MEDDPPICC_ELEMENTS",
    "PERSONAS",
    "PERSONA_SLUGS",
    "BuyerProcessStage",
    "DiscoveryQuestion",
    "Persona",
]

MEDDPPICC_ELEMENTS = (
    "metrics",
    "economic_buyer",
    "decision_criteria",
    "decision_process",
    "paper_process",
    "partners",
    "identify_pain",
    "champion",
    "competition",
)

PERSONA_SLUGS = (
    "technology_leader",
    "business_application_leader",
    "security_leader",
    "coo_cxo_leader",
    "financial_leader",
)


@dataclass(frozen=True)
class Persona:
    """A buyer persona: what they want, what stands in their way, how they keep score."""

    slug: str
    name: str
    objectives: tuple[str, ...]
    obstacles: tuple[str, ...]
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class DiscoveryQuestion:
    """An open discovery question for one MEDDPPICC element; `persona` None fits anyone."""

    element: str
    persona: str | None
    question: str


@dataclass(frozen=True)
class BuyerProcessStage:
    """A stage of the buyer process map and the buyer actions that show a buyer is in it."""

    slug: str
    name: str
    buyer_actions: tuple[str, ...]


PERSONAS: tuple[Persona, ...] = (
    Persona(
        slug="technology_leader",
        name="Technology Leader",
        objectives=(
            "Ship changes to production faster and with fewer failed releases",
            "Consolidate source control, CI/CD and scanning onto one platform to cut "
            "integration and upkeep work",
            "Standardise pipelines and practices so they scale across teams",
            "Give engineers a modern developer experience that helps hiring and retention",
        ),
        obstacles=(
            "A patchwork of point tools held together by scripts and plugins",
            "The platform team spends its time maintaining integrations instead of "
            "improving delivery",
            "Legacy applications and teams attached to their current workflows",
            "No end-to-end view of where work waits between commit and production",
        ),
        metrics=(
            "Deployment frequency",
            "Lead time from commit to production",
            "Change failure rate and mean time to restore service",
            "Engineering hours spent maintaining the toolchain",
            "Time for a new engineer to make a first production change",
        ),
    ),
    Persona(
        slug="business_application_leader",
        name="Business Application Leader",
        objectives=(
            "Deliver the features the business asks for on the dates it plans around",
            "Shrink the backlog of change requests from business units",
            "Give business stakeholders live visibility into progress",
            "Modernise legacy applications without disrupting operations",
        ),
        obstacles=(
            "Hand-offs between development, QA and operations stretch releases to weeks",
            "Planning lives in one tool, code in another, and status is reported by hand",
            "Environments and releases depend on a central IT queue",
            "Outsourced development partners work in their own separate toolchains",
        ),
        metrics=(
            "Cycle time from business request to production",
            "Release predictability: planned versus delivered scope",
            "Age of the change-request backlog",
            "Business-reported incidents after a release",
        ),
    ),
    Persona(
        slug="security_leader",
        name="Security Leader",
        objectives=(
            "Find and fix vulnerabilities before code reaches production",
            "Prove compliance (SOC 2, PCI DSS, HIPAA, FedRAMP) with auditable evidence",
            "Secure the software supply chain: dependencies, containers and build integrity",
            "Make security part of the developer workflow without slowing delivery",
        ),
        obstacles=(
            "Scans run late, in separate tools developers rarely open",
            "Too few security engineers to triage findings across hundreds of projects",
            "Audit evidence is collected by hand from many systems",
            "Open-source dependencies nobody has inventoried",
        ),
        metrics=(
            "Mean time to remediate critical vulnerabilities",
            "Share of projects scanned on every merge request",
            "Open critical and high findings in production",
            "Effort to prepare for an audit",
            "Number of security policy exceptions granted",
        ),
    ),
    Persona(
        slug="coo_cxo_leader",
        name="COO/CXO Leader",
        objectives=(
            "A digital transformation that shows up in revenue and customer experience",
            "Beat competitors to market with new products and features",
            "Predictable delivery and lower operating cost",
            "Fewer outages and breaches that reach customers, regulators or the board",
        ),
        obstacles=(
            "Transformation programmes that spend money without measurable outcomes",
            "Departments choosing tools and processes in silos",
            "Scarce engineering talent",
            "Slow approval and change-management processes",
        ),
        metrics=(
            "Time to market for new products and features",
            "Cost of delivery per product or team",
            "Customer-impacting incidents per quarter",
            "Transformation milestones met on schedule",
        ),
    ),
    Persona(
        slug="financial_leader",
        name="Financial Leader",
        objectives=(
            "Lower total software spend by retiring overlapping tools",
            "Predictable, consolidated licence costs with fewer vendors",
            "A clear, measurable return on technology investments",
            "Spend tied to the business outcomes it is meant to deliver",
        ),
        obstacles=(
            "Overlapping tool licences bought separately by different departments",
            "Hidden cost of people maintaining integrations and self-hosted tools",
            "Engineering productivity gains that are hard to attribute to spend",
            "Budget cycles that do not line up with when projects start",
        ),
        metrics=(
            "Total cost of ownership of the development toolchain",
            "Number of tools and vendors under contract",
            "Payback period and return on investment",
            "Licence utilisation: paid seats versus active users",
        ),
    ),
)


def _q(element: str, question: str, persona: str | None = None) -> DiscoveryQuestion:
    return DiscoveryQuestion(element=element, persona=persona, question=question)


DISCOVERY_QUESTIONS: tuple[DiscoveryQuestion, ...] = (
    # Metrics: the measurable value the customer expects.
    _q(
        "metrics",
        "How do you measure the success of software delivery today, and what would a good "
        "result look like twelve months from now?",
    ),
    _q(
        "metrics",
        "How often do you deploy to production, and how long does a change take from "
        "commit to running in production?",
        "technology_leader",
    ),
    _q(
        "metrics",
        "How long does it take today to fix a critical vulnerability once it is found?",
        "security_leader",
    ),
    _q(
        "metrics",
        "What do you spend each year on development, CI and security tools, including the "
        "people who keep them running?",
        "financial_leader",
    ),
    _q(
        "metrics",
        "Which outcome would leadership notice first if delivery improved: time to market, "
        "cost or risk?",
        "coo_cxo_leader",
    ),
    # Economic buyer: who owns the money.
    _q(
        "economic_buyer",
        "Who has the final say on the budget for this initiative, and have they approved "
        "a project like this before?",
    ),
    _q(
        "economic_buyer",
        "What does the person who approves this spend need to see before they say yes?",
    ),
    _q(
        "economic_buyer",
        "Is this spend already in this year's budget, or does it need a new approval?",
        "financial_leader",
    ),
    _q(
        "economic_buyer",
        "Which executive owns the transformation programme this would support, and how "
        "do they report its progress?",
        "coo_cxo_leader",
    ),
    _q(
        "economic_buyer",
        "If your team recommends this, who else has to agree before money is committed?",
        "technology_leader",
    ),
    # Decision criteria: how options are judged.
    _q(
        "decision_criteria",
        "What criteria will you use to compare the options, and which matter most?",
    ),
    _q(
        "decision_criteria",
        "Which integrations, hosting options (SaaS or self-managed) and scale requirements "
        "are must-haves?",
        "technology_leader",
    ),
    _q(
        "decision_criteria",
        "What security and compliance capabilities must a platform have to pass your review?",
        "security_leader",
    ),
    _q(
        "decision_criteria",
        "Will you compare licence cost alone, or total cost including the tools you would retire?",
        "financial_leader",
    ),
    _q(
        "decision_criteria",
        "What would your application teams need to see to agree to move off their current tools?",
        "business_application_leader",
    ),
    # Decision process: the steps and people between evaluation and decision.
    _q(
        "decision_process",
        "How did you decide on the last tool of this size: who was involved and how long "
        "did it take?",
    ),
    _q(
        "decision_process",
        "What steps remain between a successful evaluation and a decision?",
    ),
    _q(
        "decision_process",
        "Will there be a formal proof of value, and who sets its success criteria?",
    ),
    _q(
        "decision_process",
        "Which architecture or platform review boards have to sign off?",
        "technology_leader",
    ),
    _q(
        "decision_process",
        "When in the process does the security review happen, and how long does it usually take?",
        "security_leader",
    ),
    # Paper process: from decision to signature.
    _q(
        "paper_process",
        "Once you have decided, what happens before an order is signed: legal review, "
        "procurement, security questionnaires?",
    ),
    _q(
        "paper_process",
        "Who signs the order, and do signature thresholds change who needs to sign?",
    ),
    _q(
        "paper_process",
        "How long did legal review of your last software agreement take, and do you work "
        "on your own paper or the vendor's?",
    ),
    _q(
        "paper_process",
        "Does procurement require a competitive bid, a purchasing framework or a "
        "particular reseller?",
        "financial_leader",
    ),
    _q(
        "paper_process",
        "Do quarter-end or year-end deadlines affect when the order has to be placed?",
        "financial_leader",
    ),
    # Partners: resellers, integrators, clouds and OEMs in the deal.
    _q(
        "partners",
        "Which systems integrators or consultancies help you run your development and "
        "DevOps tooling?",
    ),
    _q(
        "partners",
        "Do you buy software directly, through a reseller, or through a cloud marketplace?",
    ),
    _q(
        "partners",
        "Which cloud providers do you run on, and do you have committed spend with them "
        "that this purchase could draw down?",
        "technology_leader",
    ),
    _q(
        "partners",
        "Is any development outsourced, and would those partners need to work on the same "
        "platform?",
        "business_application_leader",
    ),
    _q(
        "partners",
        "Do purchases have to go through a preferred reseller or an enterprise agreement?",
        "financial_leader",
    ),
    # Identify pain: the problem and the cost of leaving it.
    _q(
        "identify_pain",
        "What happens if nothing changes over the next year?",
    ),
    _q(
        "identify_pain",
        "Where does a change spend the most time waiting between commit and production?",
        "technology_leader",
    ),
    _q(
        "identify_pain",
        "How do vulnerabilities that reach production get found today, and how many were "
        "there last quarter?",
        "security_leader",
    ),
    _q(
        "identify_pain",
        "When did a release last slip, and what did that cost the business?",
        "business_application_leader",
    ),
    _q(
        "identify_pain",
        "What competitive or regulatory pressure makes this a priority now?",
        "coo_cxo_leader",
    ),
    _q(
        "identify_pain",
        "How many overlapping tools are different departments paying for?",
        "financial_leader",
    ),
    # Champion: who sells for us when we are not in the room.
    _q(
        "champion",
        "Who would gain the most, personally and for their team, if this succeeds?",
    ),
    _q(
        "champion",
        "Who would be willing to present this to leadership and defend the business case?",
    ),
    _q(
        "champion",
        "Who has the ear of the budget owner and has led a change like this before?",
    ),
    _q(
        "champion",
        "What would you need from us to make the case internally?",
    ),
    _q(
        "champion",
        "Which team already uses the product or has asked for it, and what results have they seen?",
        "technology_leader",
    ),
    # Competition: other vendors, building it in-house, or doing nothing.
    _q(
        "competition",
        "What other options are you considering, including building it yourselves or "
        "doing nothing?",
    ),
    _q(
        "competition",
        "Which tools would this replace, and who is most attached to them?",
    ),
    _q(
        "competition",
        "What do your teams like and dislike about the source control and CI tools they use today?",
        "technology_leader",
    ),
    _q(
        "competition",
        "Which security scanning vendors do you use today, and when do those contracts renew?",
        "security_leader",
    ),
    _q(
        "competition",
        "When do the contracts for your current development tools come up for renewal?",
        "financial_leader",
    ),
)


BUYER_PROCESS_STAGES: tuple[BuyerProcessStage, ...] = (
    BuyerProcessStage(
        slug="status_quo",
        name="Status quo",
        buyer_actions=(
            "Content with the current toolchain; no project or budget set aside",
            "Teams work around delivery problems locally with scripts and manual steps",
            "Ignores or declines outreach about DevOps tooling",
            "Renews existing tool contracts without reviewing them",
        ),
    ),
    BuyerProcessStage(
        slug="problem_recognition",
        name="Problem recognition",
        buyer_actions=(
            "Names a pain out loud: slow releases, toolchain sprawl or an audit finding",
            "Asks peers or analysts how other companies handle the problem",
            "Attends a webinar, meetup or lunch and learn on DevOps practices",
            "An executive names delivery speed, security or tool cost as a priority",
        ),
    ),
    BuyerProcessStage(
        slug="solution_exploration",
        name="Solution exploration",
        buyer_actions=(
            "Researches platforms and downloads comparisons or analyst reports",
            "Drafts a list of requirements and a rough business case",
            "Asks vendors for introductory demos",
            "A team starts a free trial or self-hosts the free tier",
        ),
    ),
    BuyerProcessStage(
        slug="evaluation",
        name="Evaluation",
        buyer_actions=(
            "Writes evaluation criteria and a proof-of-value plan with success measures",
            "Runs a technical evaluation or pilot with one or two teams",
            "Brings security, architecture and procurement into reviews",
            "Compares total cost of ownership across the shortlisted vendors",
        ),
    ),
    BuyerProcessStage(
        slug="selection",
        name="Selection",
        buyer_actions=(
            "Names a preferred vendor and tells the others",
            "Asks for pricing, a proposal and customer references",
            "Presents the business case to the economic buyer",
            "Negotiates scope, terms and the rollout plan",
        ),
    ),
    BuyerProcessStage(
        slug="commitment",
        name="Commitment",
        buyer_actions=(
            "Legal and procurement review the agreement and complete security questionnaires",
            "The signatory approves and signs the order",
            "Agrees a rollout and migration plan with named owners",
            "Schedules onboarding and training for the first teams",
        ),
    ),
)
