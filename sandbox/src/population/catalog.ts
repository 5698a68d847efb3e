/** Fixed vocabularies the synthetic population is drawn from. All names are invented or common. */

/** NHS main specialty codes (NHS Data Dictionary) with their displays. */
export const SPECIALTIES: readonly { code: string; display: string }[] = [
  { code: "100", display: "General Surgery" },
  { code: "101", display: "Urology" },
  { code: "110", display: "Trauma and Orthopaedics" },
  { code: "120", display: "Ear, Nose and Throat" },
  { code: "130", display: "Ophthalmology" },
  { code: "140", display: "Oral Surgery" },
  { code: "300", display: "General Medicine" },
  { code: "301", display: "Gastroenterology" },
  { code: "320", display: "Cardiology" },
  { code: "330", display: "Dermatology" },
  { code: "340", display: "Respiratory Medicine" },
  { code: "361", display: "Nephrology" },
  { code: "400", display: "Neurology" },
  { code: "410", display: "Rheumatology" },
  { code: "420", display: "Paediatrics" },
  { code: "430", display: "Geriatric Medicine" },
  { code: "502", display: "Gynaecology" },
  { code: "800", display: "Clinical Oncology" },
];

export const PAEDIATRICS_INDEX = SPECIALTIES.findIndex((s) => s.code === "420");

/** The part after the specialty in an appointment subject, e.g. "Cardiology follow-up". */
export const APPOINTMENT_KINDS: readonly string[] = [
  "follow-up",
  "new patient",
  "clinic",
  "review",
  "telephone consultation",
];

export const APPOINTMENT_TYPES: readonly { code: string; display: string }[] = [
  { code: "OUTPATIENT", display: "Outpatient" },
  { code: "TELEPHONE", display: "Telephone" },
];

export const LOCATIONS: readonly string[] = [
  "Clinic 1, Ground Floor",
  "Clinic 3, Level 2",
  "Outpatients B, Level 1",
  "Riverside Wing, Suite 4",
  "Day Unit, Level 3",
  "Community Hub, Room 2",
];

export const APPOINTMENT_MINUTES: readonly number[] = [15, 20, 30, 30, 30, 45, 60];

export const GIVEN_NAMES_FEMALE: readonly string[] = [
  "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia",
  "Grace", "Freya", "Florence", "Willow", "Poppy", "Evie", "Ella", "Aisha", "Zara", "Maryam",
  "Margaret", "Susan", "Patricia", "Janet", "Linda", "Elaine", "Siobhan", "Niamh", "Catriona", "Eilidh",
  "Anne", "Joan", "Priya", "Amira", "Chloe", "Hannah", "Megan", "Sarah", "Emma", "Rachel",
];

export const GIVEN_NAMES_MALE: readonly string[] = [
  "Oliver", "George", "Noah", "Arthur", "Leo", "Muhammad", "Harry", "Oscar", "Archie", "Henry",
  "Jack", "Charlie", "Freddie", "Theo", "Alfie", "Thomas", "James", "William", "Jacob", "Isaac",
  "David", "John", "Michael", "Peter", "Robert", "Stephen", "Andrew", "Callum", "Ruaridh", "Ciaran",
  "Sean", "Rhys", "Dylan", "Ravi", "Arjun", "Kwame", "Tomasz", "Read", "Ian", "Graham",
];

export const FAMILY_NAMES: readonly string[] = [
  "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
  "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
  "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
  "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen",
  "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths",
  "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy",
  "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson", "Ellis", "Adams", "Singh",
  "Begum", "Ahmed", "Hussain", "Ali", "MacDonald", "Campbell", "Stewart", "O'Neill", "McLaughlin", "Doherty",
  "Nowak", "Okafor", "Mensah", "Chen", "Nguyen", "Fraser", "Reid", "Murray", "Quinn", "Byrne",
];

export const POSTCODE_AREAS: readonly string[] = [
  "NE1", "NE4", "LS2", "LS6", "M1", "M14", "B15", "B29", "BS1", "BS7", "L3", "L18", "S10", "SW1A",
  "N1", "E17", "SE15", "CF10", "EH3", "G12", "BT7", "OX3", "CB2", "NG7",
];

export const POSTCODE_LETTERS = "ABDEFGHJLNPQRSTUWXYZ";

export const PLAIN_MESSAGE_SUBJECTS: readonly string[] = [
  "Question about my medication",
  "Test results",
  "Change of address",
  "Re: Your letter",
  "Appointment",
  "Can I change my appointment?",
  "Blood test booking",
  "Thank you",
  "Repeat prescription",
  "Request for a copy of my letter",
  "Cancel",
];

export const PLAIN_MESSAGE_BODIES: readonly string[] = [
  "Could someone call me back please? Thank you.",
  "I have moved house, my new address is on my record now.",
  "Is there any news about my results?",
  "Thanks for seeing me last week.",
  "I would like to talk to someone about my tablets.",
  "Please could you send me a copy of the clinic letter.",
];

export const CANCEL_NOTES: readonly string[] = [
  "I am feeling much better and no longer need this appointment.",
  "I will be away on holiday on that date, sorry.",
  "I have been seen at another hospital.",
  "My GP has sorted this out, thank you.",
  "",
];

export const CHANGE_NOTES: readonly string[] = [
  "I can't make this date, could we move it to the afternoon?",
  "I have a work commitment that day. Any day the following week is fine.",
  "Could I have a later time? I rely on my daughter for transport.",
  "I have another appointment the same morning, could this be moved?",
  "",
];

export const CLINICIAN_TITLES: readonly string[] = ["Dr", "Dr", "Dr", "Mr", "Ms", "Prof"];
